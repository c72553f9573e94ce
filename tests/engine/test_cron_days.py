"""Plain cron patterns matched day by day give croniter's own matches, in order."""

from __future__ import annotations

import copy
from datetime import datetime
from itertools import islice

from croniter import croniter
from hypothesis import given, settings, strategies as st

from custom_components.reef_scheduler.engine.cron_days import cron_days


def field(low: int, high: int) -> st.SearchStrategy[str]:
    """Return a cron field: *, a step, a range, a list of values."""
    value = st.integers(low, high).map(str)
    return st.one_of(
        st.just("*"),
        st.integers(1, high - low + 1).map(lambda step: f"*/{step}"),
        st.tuples(st.integers(low, high), st.integers(low, high)).map(
            lambda pair: f"{min(pair)}-{max(pair)}"
        ),
        st.lists(value, min_size=1, max_size=3).map(",".join),
    )


# Every day of the month and every month: other patterns stay with croniter.
expressions = st.tuples(field(0, 59), field(0, 23), st.just("* *"), field(0, 7)).map(" ".join)
starts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1))


def croniter_after(expression: str, start: datetime, count: int) -> list[datetime]:
    """Return croniter's first matches after start (fewer where it gives up)."""
    iterator = copy.copy(croniter(expression, datetime(2000, 1, 1)))
    iterator.set_current(start, force=True)
    found = []
    for _ in range(count):
        try:
            found.append(iterator.get_next(datetime))
        except Exception:  # croniter gives up on a date that never comes
            break
    return found


@settings(max_examples=300, deadline=None)
@given(expressions, starts)
def test_plain_patterns_match_as_croniter_does(expression: str, start: datetime) -> None:
    plain = cron_days(expression)
    assert plain is not None
    expected = croniter_after(expression, start, 40)
    assert list(islice(plain.after(start), len(expected))) == expected


@given(st.sampled_from(["30 7 * * * 15", "0 */6 * * * 0,30", "*/20 8 * * 1-5"]), starts)
def test_seconds_and_weekdays(expression: str, start: datetime) -> None:
    plain = cron_days(expression)
    assert plain is not None
    expected = croniter_after(expression, start, 20)
    assert list(islice(plain.after(start), 20)) == expected


def test_other_patterns_stay_with_croniter() -> None:
    assert cron_days("0 12 L * *") is None
    assert cron_days("0 9 * * mon#2") is None
    assert cron_days("* * * * * *") is None  # every second: too many times a day
    # Days of the month and months: croniter's own results (it skips 1 March after 2
    # February for "1,30", and the engine keeps what it always did).
    assert cron_days("0 0 1,30 * *") is None
    assert cron_days("0 8 * 1 *") is None
    plain = cron_days("0 8 * * 7")  # Sunday as 7 is 0
    assert plain is not None
    assert plain.weekdays == frozenset({0})
