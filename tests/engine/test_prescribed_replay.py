"""Property: replaying the timeline live from an earlier instant ends where the function says.

The replay below is a deliberately plain simulation of the live runner, written without the
module under test: every entity starts at the function's answer at t0, then every run in
(t0, t] is applied in (due, schedule id) order the way the runner applies actions. A newer run
on an entity replaces whatever it was doing, a hold's end switches it off, a ramp is computed
from its own formula, and a ramp without start level starts from the entity's simulated level
at its due. Toggle and custom runs leave the entity alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
import zlib
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from custom_components.reef_scheduler.engine.model import (
    Action,
    ActionType,
    CronTiming,
    Frequency,
    IntervalTiming,
    OneOffTiming,
    RecurringTiming,
    Schedule,
    Target,
    Timing,
)
from custom_components.reef_scheduler.engine.prescribed import (
    MAX_CHAIN,
    OpenRamp,
    Prescription,
    Steady,
    prescribe,
)
from custom_components.reef_scheduler.engine.profile import Curve, Hold, Ramp
from custom_components.reef_scheduler.engine.timeline import next_run

ZONE = "Europe/Berlin"
TZ = ZoneInfo(ZONE)
ENTITIES = ("light.a", "light.b", "switch.c")
MINUTE = timedelta(minutes=1)
# Ordinary days, and the spring-forward and fall-back weekends of 2024 in Berlin.
BASES = (
    datetime(2024, 6, 10, tzinfo=UTC),
    datetime(2024, 3, 29, tzinfo=UTC),
    datetime(2024, 10, 25, tzinfo=UTC),
)
# Whole multiples of the patterns' periods make ends coincide with later runs.
DURATIONS = st.one_of(st.sampled_from([20, 60, 120, 180]), st.integers(1, 14 * 60)).map(
    lambda m: m * MINUTE
)
CRONS = (
    "*/20 * * * *",
    "0 * * * *",
    "30 2 * * *",
    "15 8,20 * * *",
    "0 */3 * * *",
    "45 6 * * 1-5",
)


# --- the simulated live runner -------------------------------------------------------------


@dataclass(frozen=True)
class Sim:
    """What an entity is doing: set by run ``sid``@``due``, a level or a plan over time."""

    sid: str
    due: datetime
    kind: str  # "steady", "hold", "ramp" or "open" (a ramp whose start nobody knows)
    level: float | None = None  # steady / hold level, ramp start level
    end_level: float = 0.0  # hold: what the end switches to; ramp: its end level
    start: datetime | None = None
    end: datetime | None = None
    curve: str = "linear"
    chain: int = 0  # ramps without start level in a row, each starting while the last moved

    def level_at(self, when: datetime) -> float | None:
        """Return the simulated level at ``when`` (the plan has not been settled yet)."""
        if self.kind == "steady":
            return self.level
        assert self.start is not None
        assert self.end is not None
        if when >= self.end:
            return self.end_level
        if self.kind == "hold":
            return self.level
        if self.kind == "open":
            return None
        assert self.level is not None
        total = (self.end - self.start).total_seconds()
        u = min(max((when - self.start).total_seconds() / total, 0.0), 1.0)
        if self.curve == "smooth":
            u = u * u * (3 - 2 * u)
        return self.level + (self.end_level - self.level) * u

    def settled(self, when: datetime) -> Sim:
        """Apply the end of a hold or ramp that has come (the runner's last step)."""
        if self.kind == "steady" or (self.end is not None and when < self.end):
            return self
        return replace(self, kind="steady", level=self.end_level, start=None, end=None)

    @property
    def moving_startless(self) -> bool:
        """Return True while a ramp without start level is under way (not yet settled)."""
        return self.kind in ("ramp", "open") and self.chain > 0


def seed(prescription: Prescription) -> Sim:
    """Translate the function's answer at t0 into the simulator's own terms."""
    effect = prescription.effect
    base = Sim(prescription.schedule_id, prescription.due, "steady", chain=prescription.chain)
    if isinstance(effect, Steady):
        return replace(base, level=effect.level)
    if isinstance(effect, Hold):
        return replace(
            base,
            kind="hold",
            level=effect.level,
            end_level=effect.after_level,
            start=effect.start,
            end=effect.end,
        )
    if isinstance(effect, Ramp):
        return replace(
            base,
            kind="ramp",
            level=effect.start_level,
            end_level=effect.end_level,
            start=effect.start,
            end=effect.end,
            curve=effect.curve.value,
        )
    assert isinstance(effect, OpenRamp)
    return replace(
        base,
        kind="open",
        end_level=effect.end_level,
        start=effect.start,
        end=effect.end,
        curve=effect.curve.value,
    )


def apply(schedule: Schedule, due: datetime, current: Sim | None) -> Sim | None:
    """Apply one run to one entity as the live runner does."""
    action = schedule.action
    kind = action.type
    if kind in (ActionType.TOGGLE, ActionType.CUSTOM):
        return current  # an event: the state it leaves is not prescribed
    new = Sim(schedule.id, due, "steady")
    if kind is ActionType.OFF:
        return replace(new, level=0.0)
    if kind in (ActionType.ON, ActionType.SET_LEVEL, ActionType.SET_PWM):
        value = 100.0 if kind is ActionType.ON else float(action.level or 0)
        if action.duration is None:
            return replace(new, level=value)
        return replace(new, kind="hold", level=value, start=due, end=due + action.duration)
    assert kind is ActionType.RAMP
    assert action.duration is not None
    assert action.level is not None
    plan = replace(
        new,
        kind="ramp",
        end_level=action.level,
        start=due,
        end=due + action.duration,
        curve=action.curve.value,
    )
    if action.start_level is not None:
        return replace(plan, level=action.start_level)
    # From wherever the entity is now; unknown if nothing ever set it.
    chain = current.chain + 1 if current is not None and current.moving_startless else 1
    start = None if current is None else current.level_at(due)
    if start is None or chain > MAX_CHAIN:
        return replace(plan, kind="open", chain=min(chain, MAX_CHAIN + 1))
    return replace(plan, level=start, chain=chain)


def replay(
    schedules: list[Schedule],
    targets: dict[str, tuple[str, ...]],
    t0: datetime,
    t: datetime,
    excluded: set[tuple[str, datetime]],
) -> dict[str, Sim]:
    """Run the live simulation from the function's state at t0 up to t."""
    initial = prescribe(schedules, t0, default_zone=ZONE, targets=targets, excluded=ex(excluded))
    state: dict[str, Sim] = {entity: seed(p) for entity, p in initial.items()}
    runs: list[tuple[datetime, str, Schedule]] = []
    for schedule in schedules:
        if not schedule.enabled:
            continue  # the runner arms no timer for it
        due = next_run(schedule, t0, tz=TZ)
        while due is not None and due <= t:
            if (schedule.id, due) not in excluded:
                runs.append((due, schedule.id, schedule))
            due = next_run(schedule, due, tz=TZ)
    for due, _, schedule in sorted(runs, key=lambda run: run[:2]):
        for entity in targets[schedule.id]:
            current = state.get(entity)
            if current is not None:
                current = current.settled(due)  # its end timer fired first
            after = apply(schedule, due, current)
            if after is not None:
                state[entity] = after
    return {entity: sim.settled(t) for entity, sim in state.items()}


def ex(excluded: set[tuple[str, datetime]]) -> Callable[[str, datetime], bool]:
    """Return the exclusion predicate for the function."""
    return lambda sid, due: (sid, due) in excluded


# --- random schedule sets ------------------------------------------------------------------


@st.composite
def timings(draw: st.DrawFn, base: datetime) -> Timing:
    """Draw a recurring daily, interval, cron or one-off timing around ``base``."""
    offset = st.integers(-3 * 24 * 60, 5 * 24 * 60).map(lambda m: base + m * MINUTE)
    kind = draw(st.sampled_from(["daily", "interval", "cron", "one_off"]))
    if kind == "daily":
        times = draw(
            st.lists(
                st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
                min_size=1,
                max_size=3,
            )
        )
        return RecurringTiming(Frequency.DAILY, tuple(times), every=draw(st.sampled_from([1, 2])))
    if kind == "interval":
        every = draw(st.sampled_from([10, 25, 60, 90, 240, 1440])) * MINUTE
        return IntervalTiming(every, draw(offset))
    if kind == "cron":
        return CronTiming(draw(st.sampled_from(CRONS)))
    return OneOffTiming(draw(offset))


@st.composite
def actions(draw: st.DrawFn) -> Action:
    """Draw an action of every kind, ramps with and without start level, holds."""
    level = st.integers(0, 200).map(lambda n: n / 2)
    kind = draw(
        st.sampled_from(
            [
                ActionType.ON,
                ActionType.OFF,
                ActionType.SET_LEVEL,
                ActionType.SET_PWM,
                ActionType.RAMP,
                ActionType.RAMP,
                ActionType.TOGGLE,
                ActionType.CUSTOM,
            ]
        )
    )
    if kind is ActionType.RAMP:
        return Action(
            kind,
            level=draw(level),
            start_level=draw(st.none() | level),
            duration=draw(DURATIONS),
            curve=draw(st.sampled_from(Curve)),
        )
    if kind in (ActionType.SET_LEVEL, ActionType.SET_PWM):
        hold = draw(st.none() | DURATIONS)
        return Action(kind, level=draw(level), duration=hold)
    if kind is ActionType.ON:
        hold = draw(st.none() | DURATIONS)
        return Action(kind, duration=hold)
    if kind is ActionType.CUSTOM:
        return Action(kind, sequence=({"delay": 1},))
    return Action(kind)


@dataclass(frozen=True)
class Case:
    schedules: list[Schedule]
    targets: dict[str, tuple[str, ...]]
    t0: datetime
    t: datetime
    excluded: set[tuple[str, datetime]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Draw 1-6 schedules over 1-3 entities, t0, t > t0 and some excluded runs."""
    base = draw(st.sampled_from(BASES))
    entities = ENTITIES[: draw(st.integers(1, 3))]
    schedules: list[Schedule] = []
    targets: dict[str, tuple[str, ...]] = {}
    for index in range(draw(st.integers(1, 6))):
        sid = f"s{index}"
        action = draw(actions())
        window: dict[str, datetime] = {}
        if draw(st.integers(0, 4)) == 0:
            window["start"] = base + draw(st.integers(-2 * 24 * 60, 3 * 24 * 60)) * MINUTE
        if draw(st.integers(0, 4)) == 0:
            window["end"] = base + draw(st.integers(0, 5 * 24 * 60)) * MINUTE
        if "start" in window and "end" in window and window["end"] < window["start"]:
            del window["end"]
        schedules.append(
            Schedule(
                sid,
                sid,
                draw(timings(base)),
                replace(action, target=Target(entity_ids=entities)),
                enabled=draw(st.integers(0, 9)) > 0,
                **window,  # type: ignore[arg-type]
            )
        )
        targets[sid] = tuple(
            draw(st.lists(st.sampled_from(entities), min_size=1, max_size=3, unique=True))
        )
    t0 = base + draw(st.integers(0, 2 * 24 * 60 * 60)) * timedelta(seconds=1)
    t = t0 + draw(st.integers(0, 3 * 24 * 60 * 60)) * timedelta(seconds=1)
    # Exclude roughly one run in `every` (0: none), chosen by a stable hash of the run.
    every = draw(st.sampled_from([0, 0, 3, 7]))
    excluded: set[tuple[str, datetime]] = set()
    if every:
        for schedule in schedules:
            due = next_run(schedule, t - timedelta(days=8), tz=TZ)
            while due is not None and due <= t:
                if zlib.crc32(f"{schedule.id}{due.isoformat()}".encode()) % every == 0:
                    excluded.add((schedule.id, due))
                due = next_run(schedule, due, tz=TZ)
    return Case(schedules, targets, t0, t, excluded)


def same_level(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6


@settings(max_examples=300)
@given(case=cases())
def test_replay_from_an_earlier_instant_ends_in_the_function_state(case: Case) -> None:
    replayed = replay(case.schedules, case.targets, case.t0, case.t, case.excluded)
    answer = prescribe(
        case.schedules,
        case.t,
        default_zone=ZONE,
        targets=case.targets,
        excluded=ex(case.excluded),
    )
    assert set(answer) == set(replayed)
    for entity, prescription in answer.items():
        sim = replayed[entity]
        assert (prescription.schedule_id, prescription.due) == (sim.sid, sim.due), entity
        assert same_level(prescription.level, sim.level_at(case.t)), (entity, prescription, sim)
        assert prescription.chain == sim.chain, entity


@settings(max_examples=150)
@given(case=cases())
def test_replay_from_before_every_schedule_needs_no_seed(case: Case) -> None:
    """With every window starting after t0 the replay starts from nothing at all."""
    schedules = [
        replace(s, start=max(s.start or case.t0, case.t0) + timedelta(microseconds=1))
        for s in case.schedules
    ]
    assert prescribe(schedules, case.t0, default_zone=ZONE, targets=case.targets) == {}
    replayed = replay(schedules, case.targets, case.t0, case.t, case.excluded)
    answer = prescribe(
        schedules,
        case.t,
        default_zone=ZONE,
        targets=case.targets,
        excluded=ex(case.excluded),
    )
    assert {e: (p.schedule_id, p.due) for e, p in answer.items()} == {
        e: (s.sid, s.due) for e, s in replayed.items()
    }
    for entity, prescription in answer.items():
        assert same_level(prescription.level, replayed[entity].level_at(case.t))
