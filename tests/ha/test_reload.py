"""A reloaded local entry keeps running its schedules (subentries, entities and all)."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from custom_components.reef_scheduler.data import LocalData
from custom_components.reef_scheduler.engine.ledger import RunStatus

from .clock import Clock
from .surface import PUMP, T0, reef_devices, setup_local, spec


async def test_runs_finish_after_a_reload(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: Clock
) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)
    entry, backend = await setup_local(hass)
    await backend.async_create(spec(id="lights", name="Lights", times=["10:01"]))
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = entry.runtime_data
    assert isinstance(runtime, LocalData)

    await clock.move_to(T0 + timedelta(minutes=1))  # 10:01 in Berlin
    records, _ = runtime.runner.ledger_page("lights")
    assert [r.status for r in records] == [RunStatus.SUCCESS]
    assert hass.states.get(PUMP).state == "on"
    assert hass.states.get("switch.lights_enabled").attributes["last_result"] == "success"
