"""Proposer events (Proposal.events -> CycleRecord.events -> trace[i].events ->
counters.events): the schema accepts them, counters sum them, traces round-trip them,
and the analysis table counts them per method, suite and temperature."""
from specdecode.analysis.events import proposer_events, render_events_md
from specdecode.analysis.synthetic import counters_from_trace, make_record, trace_entry
from specdecode.records import cycle_from_json, cycle_to_json, validate_record
from specdecode.types import CycleRecord, Interval


def _trace(events_at: dict[int, dict]) -> list[dict]:
    """4 chain cycles of k = 4; cycle i carries events_at[i] when given."""
    accepted = [4, 1, 0, 2]
    trace = []
    for i, a in enumerate(accepted):
        entry = trace_entry(4, 4, a, token_index=sum(x + 1 for x in accepted[:i]), start=float(i),
                            draft_s=0.1, target_s=0.2)
        if i in events_at:
            entry["events"] = events_at[i]
        trace.append(entry)
    return trace


def _record(method, trace, suite="code"):
    new_tokens = 1 + sum(c["emitted"] for c in trace)
    ctr = counters_from_trace(trace, new_tokens, 0.05)
    return make_record(method, "draft", suite, "p0", counters=ctr, output_ids=[0] * new_tokens, trace=trace)


def test_counters_sum_events_and_the_record_validates():
    rec = _record("draft-recycle", _trace({1: {"recycled": 3}, 2: {"recycled": 2, "other": 1}}))
    assert rec["counters"]["events"] == {"recycled": 5, "other": 1}
    assert validate_record(rec) == []


def test_no_events_leaves_counters_and_trace_unchanged():
    rec = _record("draft-k4", _trace({}))
    assert "events" not in rec["counters"]
    assert all("events" not in c for c in rec["trace"])
    assert validate_record(rec) == []


def test_bad_event_values_fail_the_schema():
    rec = _record("draft-recycle", _trace({1: {"recycled": -1}}))
    rec["counters"]["events"] = {"recycled": 1}
    assert any("events" in e for e in validate_record(rec))


def test_a_cycle_record_round_trips_its_events():
    cycle = CycleRecord(k=4, drafted=4, accepted=1, outcomes=(True, False), kind="recovered", tokens=[5, 6],
                        start=1.0, end=1.5, intervals=(Interval("draft", 1.0, 1.1), Interval("target", 1.1, 1.4)),
                        draft_calls=2, token_index=0, events={"recycled": 2})
    entry = cycle_to_json(cycle, origin=1.0)
    assert entry["events"] == {"recycled": 2}
    assert cycle_from_json(entry).events == {"recycled": 2}
    quiet = cycle_to_json(CycleRecord(k=0, drafted=0, accepted=0, outcomes=(), kind="none", tokens=[1], start=0.0,
                                      end=0.1, intervals=(), draft_calls=0, token_index=0))
    assert "events" not in quiet


def test_events_table_counts_fired_cycles_and_their_tau():
    records = [_record("draft-recycle", _trace({1: {"recycled": 3}, 2: {"recycled": 2}, 3: {"recycled": 0}})),
               _record("draft-k4", _trace({}))]
    rows = proposer_events(records)
    assert [r["method"] for r in rows] == ["draft-recycle"]   # methods without events are left out
    row = rows[0]
    assert row["cycles"] == 4 and row["fired_cycles"] == 2 and row["fired_share"] == 0.5
    assert row["events"] == {"recycled": 5}
    assert row["tau_fired"] == (2 + 1) / 2            # accepted 1 and 0, + 1 token each
    assert row["tau_quiet"] == (5 + 3) / 2
    md = render_events_md(rows)
    assert "draft-recycle" in md and "recycled 5" in md
    assert render_events_md([]) == ""
