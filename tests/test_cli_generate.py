"""`specdecode generate`: streaming, --json, and one-line errors that name the fix."""
import json

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from specdecode.cli import main
from specdecode.controllers import CONTROLLERS
from specdecode.proposers import PROPOSERS
from specdecode.verifiers import VERIFIERS
from tiny_models import tiny_lm


def save(lm, path, tokenizer=None):
    lm.model.save_pretrained(path)
    (tokenizer or lm.tokenizer).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    target = tiny_lm(vocab=24, seed=0, scale=3.0, max_len=32)
    draft = tiny_lm(vocab=24, seed=1, layers=1, hidden=16)
    words = {f"x{i}": i for i in range(23)} | {"</s>": 23}  # same size, other tokens
    tok = Tokenizer(models.WordLevel(words, unk_token="x0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    other = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="x0")
    return {"target": save(target, root / "t"), "draft": save(draft, root / "d"),
            "alien": save(draft, root / "a", tokenizer=other)}


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_output(dirs, capsys):
    code, out, _ = run(capsys, "generate", "--target", dirs["target"], "--draft", dirs["draft"],
                       "--prompt", "w1 w2 w3", "--max-new-tokens", "8", "--json")
    assert code == 0
    obj = json.loads(out)
    s = obj["stats"]
    assert len(obj["token_ids"]) == s["new_tokens"] <= 8
    for key in ("target_calls", "draft_calls", "drafted", "accepted", "tau", "acceptance_rate",
                "per_position_acceptance", "tokens_per_s", "ttft_s", "decode_s"):
        assert key in s


def test_streams_text_and_stats_line(dirs, capsys):
    code, out, err = run(capsys, "generate", "--target", dirs["target"], "--proposer", "ngram",
                         "--prompt", "w1 w2 w3 w1 w2", "--max-new-tokens", "6")
    assert code == 0 and out.strip()
    assert "tok/s" in err and "target calls" in err


BAD = {
    # the error lists every registered name, in order
    "unknown proposer": (["--proposer", "magic"], "Available: " + ", ".join(PROPOSERS.names())),
    "unknown verifier": (["--verifier", "strict"], "Available: " + ", ".join(VERIFIERS.names())),
    "unknown controller": (["--controller", "smart"], "Available: " + ", ".join(CONTROLLERS.names())),
    "k < 1": (["--k", "0"], "k must be an integer >= 1"),
    "max_new_tokens < 0": (["--max-new-tokens", "-1"], "max_new_tokens must be an integer >= 0"),
    "temperature < 0": (["--temperature", "-0.5"], "temperature must be a finite number >= 0"),
    "top-p > 1": (["--top-p", "1.5"], "top-p must be a finite number in (0, 1]"),
    "top-p = 0": (["--top-p", "0"], "top-p must be a finite number in (0, 1]"),
    "missing model path": (["--target", "./no/such/model"], "does not exist"),
    "greedy verifier at T>0": (["--verifier", "greedy", "--temperature", "1"], "only at temperature 0"),
    "bad param": (["--param", "proposer.bogus=1", "--proposer", "ngram"], "Unknown parameter 'bogus'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line(dirs, capsys, case):
    extra, expected = BAD[case]
    argv = ["generate", "--target", dirs["target"], "--draft", dirs["draft"], "--prompt", "w1 w2"] + extra
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err


def test_vocab_mismatch_names_token_ids(dirs, capsys):
    code, _, err = run(capsys, "generate", "--target", dirs["target"], "--draft", dirs["alien"], "--prompt", "w1")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "vocabularies differ at 23 token ids (e.g. 0: 'w0' vs 'x0'" in err


def test_prompt_longer_than_context(dirs, capsys):
    prompt = " ".join(["w1"] * 40)  # the target's context is 32 positions
    code, _, err = run(capsys, "generate", "--target", dirs["target"], "--prompt", prompt)
    assert code == 2 and "the prompt has 40 tokens but the target's context is 32" in err


def test_generation_stops_at_context(dirs, capsys):
    code, out, _ = run(capsys, "generate", "--target", dirs["target"], "--prompt", " ".join(["w1"] * 28),
                       "--max-new-tokens", "50", "--json")
    assert code == 0
    obj = json.loads(out)
    assert obj["stats"]["finish_reason"] in ("context", "eos") and len(obj["token_ids"]) <= 4
