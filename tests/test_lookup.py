"""The n-gram lookup behind prompt lookup, the copy head and the records replay
(bench/ngram_matches.py): the match it reports is the longest one, checked by brute force."""
from hypothesis import given, settings
from hypothesis import strategies as st

from specdecode.lookup import longest_lookup, longest_match


def brute_force(seq: list[int], n_min: int, n_max: int, k: int) -> tuple[int, list[int]]:
    """The longest n whose last n tokens occur earlier, and the k tokens after the latest
    such occurrence, by scanning every start."""
    for n in range(n_max, n_min - 1, -1):
        suffix = seq[-n:] if n <= len(seq) else None
        starts = [i for i in range(len(seq) - n) if suffix is not None and seq[i : i + n] == suffix]
        if starts:
            return n, seq[starts[-1] + n : starts[-1] + n + k]
    return 0, []


@settings(max_examples=300, deadline=None)
@given(seq=st.lists(st.integers(0, 3), max_size=30), n_min=st.integers(1, 3), extra=st.integers(0, 2),
       k=st.integers(1, 6))
def test_longest_match_is_the_longest_latest_match(seq, n_min, extra, k):
    got = longest_match(seq, n_min, n_min + extra, k)
    assert got == brute_force(seq, n_min, n_min + extra, k)
    assert longest_lookup(seq, n_min, n_min + extra, k) == got[1]


def test_longest_match_examples():
    assert longest_match([5, 6, 7, 1, 5, 6], 1, 3, 2) == (2, [7, 1])
    assert longest_match([5, 6, 7, 1, 9, 6], 1, 3, 4) == (1, [7, 1, 9, 6])  # may run into the suffix
    assert longest_match([1, 2, 3], 1, 3, 4) == (0, [])
