"""The trygghetsmätning's statistics against values computed by hand (or published), not by
the code under test: Wilson intervals, suppression under 5 answers, pooling, Newcombe's
interval for a change, the before/after windows and the trend.

Wilson (95 %, z = 1.959964), for x safe of n answers, p = x/n:
    (2np + z² ± z·sqrt(z² + 4np(1 − p))) / (2(n + z²))
e.g. 3/10: (6 + 3.8415 ± 1.96·sqrt(3.8415 + 8.4)) / (2·13.8415) = (9.8415 ± 6.8577) / 27.683
= 0.1078 … 0.6032. 81/263 is Newcombe's (1998a) worked example: 0.2553 to 0.3662.

Newcombe's hybrid score interval for p1 − p2 (1998b, method 10), with Wilson limits l, u:
    d − sqrt((p1 − l1)² + (u2 − p2)²)  …  d + sqrt((u1 − p1)² + (p2 − l2)²)
His table II: 56/70 − 48/80: d = 0.2000, +0.0524 to +0.3339; 9/10 − 3/10: 0.1705 to 0.8090;
5/56 − 0/29: −0.0381 to +0.1926; 10/10 − 0/20: 0.6791 to 1.0000; 0/10 − 0/20: −0.1611 to
+0.2775."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.trygghet import (
    MIN_ANSWERS,
    Share,
    add_months,
    before_after,
    difference,
    first_during,
    months,
    pooled,
    share_of,
    trend,
    wilson,
)


@pytest.mark.parametrize(
    ("safe", "answers", "low", "high"),
    [
        (0, 5, 0.0, 0.4345),
        (5, 5, 0.5655, 1.0),
        (3, 10, 0.1078, 0.6032),
        (81, 263, 0.2553, 0.3662),
        (50, 100, 0.4038, 0.5962),
        (13, 20, 0.4329, 0.8188),
        (0, 20, 0.0, 0.1611),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_matches_hand_computed_limits(
    safe: int, answers: int, low: float, high: float
) -> None:
    got = wilson(safe, answers)
    assert round(got[0], 4) == low
    assert round(got[1], 4) == high
    assert 0.0 <= got[0] <= safe / answers <= got[1] <= 1.0


@pytest.mark.parametrize(("safe", "answers"), [(0, 0), (-1, 5), (6, 5)])
def test_wilson_refuses_impossible_counts(safe: int, answers: int) -> None:
    with pytest.raises(ValueError, match=r"answers|of"):
        wilson(safe, answers)


@pytest.mark.parametrize(
    ("safe", "answers", "hidden", "share"),
    [
        (0, 0, True, None),
        (4, 4, True, None),
        (0, 4, True, None),
        (5, 5, False, 1.0),
        (0, 5, False, 0.0),
        (13, 20, False, 0.65),
    ],
)
def test_fewer_than_five_answers_show_nothing(
    safe: int, answers: int, hidden: bool, share: float | None
) -> None:
    s = Share(safe, answers)
    assert MIN_ANSWERS == 5
    assert s.suppressed is hidden
    assert s.share == share
    assert (s.interval is None) is hidden


@pytest.mark.parametrize(
    ("scores", "safe", "answers"),
    [
        ({1: 2, 2: 1, 3: 4, 4: 3, 5: 2}, 5, 12),  # 4 and 5 are safe, 3 is not
        ({3: 7}, 0, 7),
        ({4: 1, 5: 1}, 2, 2),
        ({}, 0, 0),
    ],
)
def test_share_of_counts_four_and_five_as_safe(
    scores: dict[int, int], safe: int, answers: int
) -> None:
    assert share_of(scores) == Share(safe, answers)


def test_pooling_leaves_out_every_hidden_cell() -> None:
    # Issue 21 fix round (lead): suppression is per cell; a hidden cell is in no pooled
    # figure (it counted in before, so a pool minus the shown cells gave it back).
    parts = [Share(2, 3), Share(1, 4), Share(0, 0)]
    assert all(p.suppressed for p in parts)
    assert pooled(parts) == Share()
    assert pooled([Share(2, 3), Share(4, 5), Share(6, 9)]) == Share(10, 14)
    assert pooled([]) == Share()


@pytest.mark.parametrize(
    ("after", "before", "estimate", "low", "high", "clear"),
    [
        (Share(56, 70), Share(48, 80), 0.2000, 0.0524, 0.3339, True),
        (Share(9, 10), Share(3, 10), 0.6000, 0.1705, 0.8090, True),
        (Share(5, 56), Share(0, 29), 0.0893, -0.0381, 0.1926, False),
        (Share(10, 10), Share(0, 20), 1.0000, 0.6791, 1.0000, True),
        (Share(0, 10), Share(0, 20), 0.0000, -0.1611, 0.2775, False),
        (Share(48, 80), Share(56, 70), -0.2000, -0.3339, -0.0524, True),  # swapped: mirrored
    ],
)
def test_newcombe_difference_matches_his_table(
    after: Share, before: Share, estimate: float, low: float, high: float, clear: bool
) -> None:
    d = difference(after, before)
    assert d is not None
    assert (round(d.estimate, 4), round(d.low, 4), round(d.high, 4)) == (estimate, low, high)
    assert d.clear is clear


def test_no_difference_when_either_side_is_hidden() -> None:
    assert difference(Share(4, 4), Share(10, 20)) is None
    assert difference(Share(10, 20), Share(2, 4)) is None


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [("2026-01", -1, "2025-12"), ("2026-12", 1, "2027-01"), ("2026-03", -12, "2025-03")],
)
def test_add_months_crosses_years(month: str, n: int, expected: str) -> None:
    assert add_months(month, n) == expected


def test_months_are_inclusive_and_empty_backwards() -> None:
    assert months("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months("2026-02", "2026-01") == []


MONTHLY = {
    "2025-02": Share(9, 9),  # 13 months before the start: outside "before"
    "2025-03": Share(2, 4),  # the first of the 12 months before
    "2026-01": Share(3, 6),
    "2026-02": Share(1, 2),  # the last month before
    "2026-03": Share(4, 5),  # the start month (the promise starts on the 15th)
    "2026-05": Share(6, 8),
    "2026-06": Share(7, 7),  # after `last` in the second case
    "2026-09": Share(1, 1),  # after the promise's end
}


@pytest.mark.parametrize(
    ("last", "before", "during", "n_during"),
    [
        # Before: 2025-03..2026-02 = 3/6 (the hidden 2/4 and 1/2 are left out); during:
        # 2026-04..2026-08 (its end): the start month 2026-03 is in neither (starts the 15th).
        ("2026-12", Share(3, 6), Share(13, 15), 5),
        # During only up to `last` (2026-05): the June answers are not counted.
        ("2026-05", Share(3, 6), Share(6, 8), 2),
        # Not started yet: nothing during, the before is there.
        ("2026-02", Share(3, 6), Share(0, 0), 0),
    ],
)
def test_before_is_twelve_months_before_the_start_month_during_up_to_last_and_end(
    last: str, before: Share, during: Share, n_during: int
) -> None:
    ba = before_after(MONTHLY, dt.date(2026, 3, 15), dt.date(2026, 8, 31), last)
    assert ba.before_months == tuple(months("2025-03", "2026-02"))
    assert len(ba.during_months) == n_during
    assert ba.during_months[:1] == (("2026-04",) if n_during else ())
    assert "2026-03" not in ba.before_months + ba.during_months
    assert (ba.before, ba.during) == (before, during)
    if during.suppressed:
        assert ba.difference is None
    else:
        assert ba.difference == difference(during, before)


def test_a_promise_starting_on_the_first_has_its_start_month_during() -> None:
    ba = before_after(MONTHLY, dt.date(2026, 3, 1), dt.date(2026, 8, 31), "2026-05")
    assert ba.during_months == ("2026-03", "2026-04", "2026-05")
    assert ba.during == Share(10, 13)
    assert first_during(dt.date(2026, 3, 1)) == "2026-03"
    assert first_during(dt.date(2026, 3, 2)) == "2026-04"


def test_months_without_answers_are_empty_and_hidden() -> None:
    ba = before_after({}, dt.date(2026, 3, 1), dt.date(2026, 8, 31), "2026-04")
    assert (ba.before, ba.during, ba.difference) == (Share(), Share(), None)


def test_trend_lists_every_month_with_empty_ones_in_between() -> None:
    got = trend(MONTHLY, "2026-03", "2026-06")
    assert got == [
        ("2026-03", Share(4, 5)),
        ("2026-04", Share(0, 0)),
        ("2026-05", Share(6, 8)),
        ("2026-06", Share(7, 7)),
    ]
    assert [s.suppressed for _, s in got] == [False, True, False, False]
