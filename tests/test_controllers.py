"""Controller behaviour on synthetic cycle records (no model needed)."""
import dataclasses

import pytest
import torch

from specdecode.controllers import CONTROLLERS
from specdecode.errors import SpecDecodeError
from specdecode.params import build_params
from specdecode.types import CycleRecord, Interval


def make(name, k=4, **params):
    cls = CONTROLLERS.get(name)
    return cls(build_params(cls.Params, params, name), k)


def cycle(k, accepted, seconds):
    drafted = k
    emitted = accepted + 1
    return CycleRecord(k=k, drafted=drafted, accepted=accepted, outcomes=(True,) * accepted,
                       kind="bonus" if accepted == drafted else "recovered", tokens=[0] * emitted,
                       start=0.0, end=seconds, intervals=(Interval("target", 0.0, seconds),),
                       draft_calls=k, token_index=0)


def drive(ctl, n, spec_rate, plain_rate=10.0):
    """Feed n cycles; a spec cycle emits 3 tokens at spec_rate tokens/s."""
    ks = []
    for _ in range(n):
        k = ctl.next_k()
        ks.append(k)
        if k == 0:
            ctl.observe(cycle(0, 0, 1 / plain_rate))
        else:
            ctl.observe(cycle(k, min(2, k), 3 / spec_rate))
    return ks


def test_auto_falls_back_when_speculation_is_slower():
    ks = drive(make("auto"), 200, spec_rate=5.0)  # speculation at half the plain speed
    assert ks[:2] == [0, 0]                          # measures target-only first
    assert sum(k == 0 for k in ks) / len(ks) > 0.8   # then mostly target-only, probing rarely
    assert any(k > 0 for k in ks[100:])              # but it does probe again


def test_auto_keeps_speculating_when_it_pays():
    ks = drive(make("auto"), 200, spec_rate=25.0)
    assert sum(k > 0 for k in ks[10:]) == len(ks) - 10


def test_auto_judges_speculation_on_cycles_that_drafted():
    """A lookup proposer finds no match on most cycles: those are target-only steps (nothing
    drafted, no model called) and must neither count as speculative evidence nor set the
    speculative rate. Only the rare drafting cycles, which pay, decide: no fallback."""
    ctl = make("auto")
    ks = []
    for i in range(300):
        k = ctl.next_k()
        ks.append(k)
        if k == 0:
            ctl.observe(cycle(0, 0, 0.1))
        elif i % 6:  # no match: a plain step at a slightly worse rate (noise)
            ctl.observe(dataclasses.replace(cycle(0, 0, 0.11), k=k, draft_calls=0))
        else:  # a match: 4 drafted, 3 accepted, 4 tokens for 1.2 steps
            ctl.observe(dataclasses.replace(cycle(k, min(3, k), 0.12), draft_calls=0))
    assert ks[:2] == [0, 0] and all(k > 0 for k in ks[2:]), ks[:40]
    assert ctl.rate["spec"] > ctl.rate["plain"]


def test_heuristic_schedule_and_bounds():
    ctl = make("heuristic", k=4, k_min=2, k_max=7)
    ctl.observe(cycle(4, 4, 1.0))
    assert ctl.next_k() == 6
    ctl.observe(cycle(6, 6, 1.0))
    assert ctl.next_k() == 7          # capped at k_max
    for _ in range(10):
        ctl.observe(cycle(7, 0, 1.0))
    assert ctl.next_k() == 2          # floored at k_min


def test_confidence_stops_below_threshold():
    ctl = make("confidence", threshold=0.6)
    assert ctl.stop(0, torch.tensor([0.0, 0.0, 0.0]))           # top prob 1/3
    assert not ctl.stop(0, torch.tensor([5.0, 0.0, 0.0]))       # top prob ~0.99


def test_confidence_min_tokens_never_stops_early():
    """llama.cpp's long-draft setting: no stop before min_tokens drafted tokens."""
    ctl = make("confidence", threshold=0.6, min_tokens=4)
    flat = torch.tensor([0.0, 0.0, 0.0])                          # top prob 1/3 < 0.6
    assert [ctl.stop(i, flat) for i in range(6)] == [False, False, False, True, True, True]
    with pytest.raises(SpecDecodeError, match="min_tokens must be an integer >= 0"):
        make("confidence", min_tokens=-1)
