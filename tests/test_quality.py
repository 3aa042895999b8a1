"""Quality scorers (issue 12, part 2): each scorer on hand-made inputs, HumanEval in the
sandbox, the sandbox against hostile candidates, the bench config's scorer checks, and a
tiny bench run whose records carry a valid `quality`."""
import json
import os
import socket
import time
from pathlib import Path

import pytest

from specdecode.errors import SpecDecodeError
from specdecode.quality import SCORERS, BaselineOutput, quality
from specdecode.quality.agreement import prefix_match
from specdecode.quality.chrf import chrf
from specdecode.quality.humaneval import build_program, extract_code
from specdecode.quality.math_exact import final_number
from specdecode.quality.rouge_l import rouge_l
from specdecode.quality.sandbox import SandboxLimits, run_python
from specdecode.records import validate_record
from specdecode.suites import load_suite

FAST = SandboxLimits(wall_s=3.0, cpu_s=10)


def score(scorer, text, reference=None, meta=None, ids=(1,), baseline=None):
    return quality(scorer, reference, meta or {}, text, list(ids), baseline)


# ---------------------------------------------------------------------------- math_exact

@pytest.mark.parametrize("text, expected", [
    ("so 6 * 7 = 42\n#### 42", 1.0),          # marked answer
    ("#### 42\nthat was 7 cookies", 1.0),     # the marker beats a later number
    ("3 + 4 = 7, so the answer is 1,042.", 1.0),  # last number, thousands separator
    ("the answer is 41", 0.0),                # wrong number
    ("I do not know", 0.0),                   # no number
])
def test_math_exact(text, expected):
    q = score("math_exact", text, meta={"answer": "1042" if "1,042" in text else "42"})
    assert q["score"] == expected and q["binary"] is True and q["scorer"] == "math_exact"


def test_math_exact_reads_the_reference_when_meta_has_no_answer():
    assert score("math_exact", "it is 12.0", reference="steps\n#### 12")["score"] == 1.0
    assert score("math_exact", "it is 13", reference="steps\n#### 12")["score"] == 0.0
    assert final_number("-3 and then 2,500.5") == 2500.5


# ---------------------------------------------------------------------------- chrf / rouge / agreement

def test_chrf_and_rouge_identical_is_one_disjoint_is_low():
    ref = "The quick brown fox jumps over the lazy dog."
    for name, fn in (("chrf", chrf), ("rouge_l", rouge_l)):
        assert score(name, ref, reference=ref)["score"] == 1.0
        assert score(name, "zzz qqq vvv", reference=ref)["score"] < 0.1
        assert 0.1 < fn("The quick brown fox sleeps.", ref) < 1.0
        assert score(name, ref, reference=ref)["binary"] is False


def test_agreement_prefix_math():
    assert prefix_match([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert prefix_match([1, 2, 9, 4], [1, 2, 3, 4]) == 0.5
    assert prefix_match([7], [1, 2, 3, 4]) == 0.0
    assert prefix_match([1, 2], [1, 2, 3, 4]) == 0.5          # stopped early
    assert prefix_match([1, 2, 3, 4, 5], [1, 2, 3, 4]) == 1.0  # all baseline tokens matched
    base = BaselineOutput("target-only", "hello there", (1, 2, 3, 4))
    q = score("agreement", "hello there", ids=(1, 2, 9, 9), baseline=base)
    assert q["agreement"] == {"baseline": "target-only", "prefix_match": 0.5, "chrf": 1.0}
    assert q["score"] == 1.0
    assert score("agreement", "hello", baseline=None) is None  # nothing to agree with
    assert score("chrf", "a b", reference="a b", baseline=None)["agreement"] is None


def test_unknown_scorer_lists_the_available_ones():
    with pytest.raises(SpecDecodeError, match="Unknown scorer 'bleu'.*Available: agreement, chrf"):
        SCORERS.get("bleu")


# ---------------------------------------------------------------------------- humaneval

@pytest.fixture(scope="module")
def problem():
    return next(it for it in load_suite("code", split="all").items if it.meta["task_id"] == "HumanEval/0")


def test_humaneval_correct_completion_passes(problem):
    meta = problem.meta
    full = f"Here it is:\n```python\n{meta['code_prompt']}{problem.reference}```\nDone."
    assert score("humaneval", full, meta=meta)["score"] == 1.0         # a fenced whole function
    assert score("humaneval", problem.reference, meta=meta)["score"] == 1.0  # a bare body
    truncated = f"```python\n{meta['code_prompt']}{problem.reference}"   # fence cut off
    assert score("humaneval", truncated, meta=meta)["score"] == 1.0


def test_humaneval_wrong_completion_fails(problem):
    wrong = "```python\ndef has_close_elements(numbers, threshold):\n    return False\n```"
    q = score("humaneval", wrong, meta=problem.meta)
    assert q["score"] == 0.0 and q["detail"].startswith("failed: AssertionError"), q


def test_code_extraction_rule():
    text = "```\nimport os\n```\ntext\n```python\ndef f(x):\n    return x\n```"
    assert extract_code(text, "f") == "def f(x):\n    return x\n"
    assert extract_code("plain", "f") == "plain"
    meta = {"entry_point": "f", "code_prompt": "def f(x):\n    \"\"\"doc\"\"\"\n", "test": "def check(c): pass"}
    assert build_program("    return 1\n", meta).startswith(meta["code_prompt"] + "    return 1\n")
    assert build_program("def f(x):\n    return 2", meta).endswith("check(f)\n")


# ---------------------------------------------------------------------------- sandbox hostility

def timed(source, limits=FAST):
    start = time.monotonic()
    res = run_python(source, limits)
    return res, time.monotonic() - start


def test_sandbox_runs_a_good_program_and_reports_isolation():
    res, _ = timed("print(sum(range(10)))")
    assert res.passed and res.returncode == 0
    assert set(res.isolation) == {"network", "filesystem", "uid", "python"}


def test_infinite_loop_times_out():
    res, seconds = timed("while True:\n    pass\n")
    assert res.status == "timeout" and not res.passed and seconds < 15


def test_cpu_limit_stops_a_busy_loop_before_the_wall_clock():
    res, seconds = timed("while True:\n    pass\n", SandboxLimits(wall_s=20.0, cpu_s=1))
    assert res.status == "cpu" and seconds < 10


def test_huge_allocation_hits_the_memory_limit():
    res, seconds = timed("x = bytearray(50 * 2**30)\nprint('allocated')")
    assert res.status == "memory" and res.detail == "memory" and seconds < 15


BOUNDED_FORKS = """
import os, sys, time
n = 0
for _ in range(10000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
print(n, file=sys.stderr)
sys.exit(3)
"""


def test_fork_limit_holds_with_a_bounded_loop():
    res, seconds = timed(BOUNDED_FORKS)
    forks = int(res.stderr.strip().splitlines()[-1])
    assert 0 < forks < FAST.processes and res.status == "failed" and seconds < 15
    _assert_nothing_left(res)


def test_fork_bomb_is_contained_and_cleaned_up():
    res, seconds = timed("import os\nwhile True:\n    os.fork()\n")
    assert not res.passed and seconds < 15
    _assert_nothing_left(res)


def test_escaped_session_is_killed_too():
    res, _ = timed("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n")
    assert res.passed
    _assert_nothing_left(res)


def _assert_nothing_left(res):
    uid = res.isolation["uid"]
    if uid is None:
        return  # not root: the user-namespace scan did the cleanup; no uid to look for
    time.sleep(0.2)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _uid_state(p) == (uid, True)]
    assert left == []


def _uid_state(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["Uid"].split()[0]), not fields["State"].strip().startswith("Z")


def test_candidate_cannot_delete_a_file_outside_its_directory(tmp_path):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    os.chmod(tmp_path, 0o777)   # even where plain permissions would allow it
    os.chmod(sentinel, 0o666)
    res, _ = timed(f"import os\nos.remove({str(sentinel)!r})\n")
    assert not res.passed and sentinel.read_text() == "keep me"
    assert res.isolation["filesystem"] in ("landlock", "uid")


def test_candidate_cannot_reach_a_listening_socket():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        res, _ = timed(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n")
        server.settimeout(0.2)
        with pytest.raises(OSError):
            server.accept()   # no connection arrived
    assert res.isolation["network"] is True  # this machine has namespaces / Landlock ABI >= 4
    assert not res.passed, res.detail


# ---------------------------------------------------------------------------- bench config

@pytest.mark.parametrize("overrides, expected", [
    (["suites=[chat]", "scorers={chat: bleu}"], "scorers.chat: unknown scorer 'bleu'. Available: agreement"),
    (["suites=[chat]", "scorers={chat: chrf}"], "scorers.chat: scorer 'chrf' needs a reference"),
    (["suites=[chat]", "scorers={chat: humaneval}"], "needs meta code_prompt"),
    (["suites=[chat]", "scorers={code: chrf}"], "scorers: 'code' is not one of the suites"),
])
def test_bad_scorer_config_is_one_line(overrides, expected):
    from specdecode.bench.config import load_config

    with pytest.raises(SpecDecodeError) as err:
        load_config("smoke", overrides)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_user_jsonl_default_scorer(tmp_path):
    with_refs, without = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    with_refs.write_text(json.dumps({"prompt": "hi", "reference": "salut", "split": "test"}) + "\n")
    without.write_text(json.dumps({"prompt": "hi", "split": "test"}) + "\n")
    assert load_suite(str(with_refs)).scorer == "chrf"
    assert load_suite(str(without)).scorer == "agreement"


def test_builtin_suites_name_fitting_scorers():
    from specdecode.quality import check_items

    expected = {"code": "humaneval", "math": "math_exact", "translation": "chrf",
                "summarization": "rouge_l", "data-to-text": "chrf", "chat": "agreement"}
    for name, scorer in expected.items():
        suite = load_suite(name, split="all")
        assert suite.scorer == scorer
        check_items(name, scorer, suite.items)   # raises when an item lacks what it needs


# ---------------------------------------------------------------------------- worker

def test_bench_records_carry_quality(tmp_path):
    from specdecode.bench.config import load_config
    from specdecode.bench.runner import run_bench

    fast = ["n_prompts=1", "max_new_tokens=8", "warmup_tokens=2", "suites=[code, math, chat]"]
    cfg = load_config("smoke", fast, ["target-only", "draft-k4", "hf-greedy"])
    out = tmp_path / "q.jsonl"
    outcome = run_bench(cfg, out, progress=False)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert outcome.errors == 0 and len(records) == 3 * 3
    for r in records:
        assert validate_record(r) == [], r["method"]
        q = r["quality"]
        assert q["scorer"] == {"code": "humaneval", "math": "math_exact", "chat": "agreement"}[r["suite"]]
        assert 0 <= q["score"] <= 1 and q["agreement"]["baseline"] == "target-only"
        if r["exact"] and r["temperature"] == 0:
            assert q["agreement"]["prefix_match"] == 1.0 and q["agreement"]["chrf"] == 1.0
    assert any(r["method"] == "draft-k4" and r["exact"] for r in records)
