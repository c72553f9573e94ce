"""Unit tests of level reading and service-call building (no timers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.components.light.const import LightEntityFeature
from homeassistant.core import State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.reef_scheduler.engine.model import Action, ActionType, Curve, Target
from custom_components.reef_scheduler.engine.prescribed import effect_of, follow
from custom_components.reef_scheduler.engine.profile import Profile
from custom_components.reef_scheduler.runner.actions import level_call, switch_call
from custom_components.reef_scheduler.runner.levels import entity_level, supports_transition

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "level"),
    [
        (None, None),
        (State("light.a", "off"), 0.0),
        (State("light.a", "on", {"brightness": 255}), 100.0),
        (State("light.a", "on"), 100.0),
        (State("input_number.a", "5", {"min": 0, "max": 20}), 25.0),
        (State("number.a", "unknown", {"min": 0, "max": 20}), None),
        (State("number.a", "3", {"min": 5, "max": 5}), 0.0),
        (State("fan.a", "on", {"percentage": 40}), 40.0),
        (State("fan.a", "off", {"percentage": 40}), 0.0),
        (State("switch.a", "on"), 100.0),
        (State("switch.a", "off"), 0.0),
    ],
)
def test_entity_level(state: State | None, level: float | None) -> None:
    assert entity_level(state) == level


def test_supports_transition_only_for_fading_lights() -> None:
    fading = State("light.a", "on", {"supported_features": LightEntityFeature.TRANSITION})
    assert supports_transition(fading)
    assert not supports_transition(State("light.a", "on"))
    assert not supports_transition(State("switch.a", "on"))
    assert not supports_transition(None)


def test_level_and_switch_calls(hass) -> None:  # type: ignore[no-untyped-def]
    assert level_call(hass, "fan.a", 33.4).data == {"entity_id": "fan.a", "percentage": 33}
    assert level_call(hass, "light.a", 0, fade=5).service == "turn_off"
    call = level_call(hass, "light.a", 40, fade=2.5)
    assert call.data == {"entity_id": "light.a", "brightness_pct": 40, "transition": 2.5}
    assert level_call(hass, "switch.a", 1).service == "turn_on"
    assert level_call(hass, "input_number.missing", 50).data["value"] == 50
    assert switch_call("light.a", ActionType.TOGGLE, 3).data["transition"] == 3
    with pytest.raises(HomeAssistantError):
        switch_call("input_number.a", ActionType.ON, None)


def follow_action(action: Action, due: datetime, now: datetime, current: float) -> Profile | None:
    """Return what a run of the action at ``due`` makes a target follow from ``now`` on."""
    effect = effect_of(action, due)
    assert effect is not None
    return follow(effect, now, current)


def test_ramp_profile_resumed_after_its_end_holds_the_end_level() -> None:
    ramp = Action(ActionType.RAMP, Target(("light.a",)), level=80, duration=timedelta(minutes=10))
    late = follow_action(ramp, T0, T0 + timedelta(hours=1), current=20.0)
    assert late is not None
    assert late.level_at(T0 + timedelta(hours=1)) == 80
    # Not started yet: from the current level over the whole length.
    early = follow_action(ramp, T0, T0 - timedelta(minutes=1), current=20.0)
    assert early is not None
    assert early.level_at(T0 + timedelta(minutes=5)) == 50
    smooth = Action(
        ActionType.RAMP, Target(("light.a",)), 60, 0, timedelta(minutes=10), Curve.SMOOTH
    )
    profile = follow_action(smooth, T0, T0, current=99.0)
    assert profile is not None
    assert profile.level_at(T0 + timedelta(minutes=5)) == 30
    assert follow_action(Action(ActionType.OFF, Target(("light.a",))), T0, T0, 0.0) is None


async def test_level_controller_answers_for_what_it_drives(hass) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from homeassistant.core import Context

    from custom_components.reef_scheduler.engine.profile import Hold, Ramp
    from custom_components.reef_scheduler.runner.levels import OWN_CONTEXTS, LevelController

    controller = LevelController(hass, lambda coro, name: hass.async_create_task(coro, name))
    now = dt_util.utcnow()
    applied: list[float] = []
    release = asyncio.Event()

    async def apply(level: float, fade: float | None) -> None:
        applied.append(level)

    async def slow(level: float, fade: float | None) -> None:
        await release.wait()

    async def broken(level: float, fade: float | None) -> None:
        raise HomeAssistantError("gone")

    assert controller.level_at("light.a", now) is None
    hold = Hold(now, now + timedelta(minutes=1), 60)
    await controller.async_start("light.a", hold, apply, Context(), lambda _t: None)
    # A hold ending at an instant answers its after level there.
    assert controller.level_at("light.a", now + timedelta(minutes=1)) == 0
    assert controller.level_at("light.a", now) == 60

    # A newer action while the first call is under way: the profile is never followed.
    ramp = Ramp(now, timedelta(minutes=10), 0, 100, Curve.LINEAR)
    task = hass.async_create_task(
        controller.async_start("light.b", ramp, slow, Context(), lambda _t: None)
    )
    await asyncio.sleep(0)
    assert controller.active("light.b")
    controller.cancel("light.b")
    release.set()
    await task
    assert not controller.active("light.b")

    # A first call that fails leaves nothing behind.
    with pytest.raises(HomeAssistantError):
        await controller.async_start("light.c", ramp, broken, Context(), lambda _t: None)
    assert not controller.active("light.c")

    # A ramp resumed after its end: one call, nothing to follow.
    ended = Ramp(now - timedelta(hours=1), timedelta(minutes=10), 0, 80, Curve.LINEAR)
    await controller.async_start("light.d", ended, apply, Context(), lambda _t: None)
    assert applied[-1] == 80
    assert not controller.active("light.d")

    contexts = [Context() for _ in range(OWN_CONTEXTS + 1)]
    for context in contexts:
        controller.note_own(context)
    assert contexts[0].id not in controller._own
    assert contexts[-1].id in controller._own
    controller.cancel_all()
