"""`rejection`: speculative sampling (Leviathan et al. 2211.17192; Chen et al. 2302.01318).

For i = 1..k accept x_i ~ q_i when u < min(1, p_i(x_i) / q_i(x_i)); at the first
rejection emit y ~ norm(max(0, p_i - q_i)); if all are accepted emit y ~ p_{k+1}.
The emitted tokens are distributed exactly as p (the warped target)."""
import torch

from ..errors import SpecDecodeError
from ..sampling import residual, sample
from ..types import Verdict
from .base import VERIFIERS, Verifier, refuse_trees


@VERIFIERS.register("rejection")
class RejectionVerifier(Verifier):
    def check(self, proposer):
        refuse_trees("rejection", proposer)
        if proposer.deterministic:
            why = getattr(proposer, "no_draft_probs", "which this proposer does not give")
            raise SpecDecodeError(f"the rejection verifier needs draft probabilities, {why}; "
                                  "use --verifier match (or auto)")

    def verify(self, proposal, inp, gen):
        if not proposal.is_chain:
            raise SpecDecodeError("the rejection verifier checks chains; a tree needs a multi-draft verifier")
        p, q = inp.p, proposal.draft_probs  # (k+1, V), (k, V)
        k = len(proposal.tokens)
        if k == 0:
            return Verdict((), int(sample(p[:1], gen)[0]), ())
        x = torch.tensor(proposal.tokens)
        rows = torch.arange(k)
        ratio = p[rows, x] / q[rows, x]                 # (k,), q(x) > 0 since x ~ q
        u = torch.rand(k, generator=gen)
        accepted = (u < ratio.clamp(max=1.0)).tolist()  # one draw per position, fixed order
        outcomes = []
        for i in range(k):
            outcomes.append(accepted[i])
            if not accepted[i]:
                r = residual(p[i], q[i])
                return Verdict(tuple(range(i)), int(sample(r[None], gen)[0]), tuple(outcomes))
        return Verdict(tuple(range(k)), int(sample(p[k:], gen)[0]), tuple(outcomes))
