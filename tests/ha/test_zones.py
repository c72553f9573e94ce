"""Time zones are read from the tz database off the event loop: no blocking-call warning.

Python reads a zone it has not seen from disk; where the system has no zone files it imports
the `tzdata` package, which Home Assistant reports as a blocking call to import_module inside
the event loop. These tests make every lookup go through `tzdata` and watch that import with
Home Assistant's own detector.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
import importlib
import logging
import threading
from typing import Any
import zoneinfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import loop as loop_util
import pytest

from custom_components.reef_scheduler.const import DOMAIN
from custom_components.reef_scheduler.engine import timeline

from .surface import T0, reef_devices, seed, setup_local, spec

ZONES = ["Asia/Kathmandu", "America/Argentina/Ushuaia", "Pacific/Marquesas", "Mars/Base"]


@pytest.fixture(autouse=True)
async def devices(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(T0)
    await reef_devices(hass)


def forget_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ZONES unseen: by Python's cache and by the engine's."""
    zoneinfo.ZoneInfo.clear_cache(only_keys=ZONES)
    monkeypatch.setattr(timeline, "_ZONES", {})
    monkeypatch.setattr(timeline, "_NOT_ZONES", OrderedDict())


@pytest.fixture
def detector(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Read zones from the tzdata package only, and report importing it on the event loop."""
    zoneinfo.reset_tzpath(to=[])
    forget_zones(monkeypatch)
    loop_util._PREVIOUSLY_REPORTED.clear()  # report every line again, as a warning
    caplog.set_level(logging.WARNING)

    def allowed(mapped_args: dict[str, Any]) -> bool:
        return not str(mapped_args["args"][0]).startswith("tzdata")

    monkeypatch.setattr(
        importlib,
        "import_module",
        loop_util.protect_loop(
            importlib.import_module,
            strict=False,
            strict_core=False,
            check_allowed=allowed,
            loop_thread_id=threading.get_ident(),
        ),
    )
    try:
        yield
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache(only_keys=ZONES)


def blocking_calls(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Detected blocking call" in r.getMessage()]


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


@pytest.mark.usefixtures("detector")
def test_the_detector_sees_a_zone_read_on_the_loop(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """What the other tests rule out: the engine reading an unseen zone on the event loop."""
    assert timeline.is_zone("Pacific/Marquesas")
    assert any("tzdata" in message for message in blocking_calls(caplog))


@pytest.mark.usefixtures("detector")
async def test_unknown_and_new_zones_are_read_off_the_loop(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    _, backend = await setup_local(hass)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_schedule", {"schedule": spec(timezone="Mars/Base")})
    assert err.value.translation_key == "invalid_timezone"

    await call(hass, "create_schedule", {"schedule": spec(id="nepal", timezone="Asia/Kathmandu")})
    preview = spec(timezone="America/Argentina/Ushuaia")
    result = await call(hass, "preview", {"schedule": preview}, return_response=True)
    assert result["runs"]
    assert backend.runner.schedules["nepal"].timezone == "Asia/Kathmandu"
    await hass.async_block_till_done()
    assert blocking_calls(caplog) == []


async def test_stored_zones_are_read_off_the_loop_at_start(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    detector: None,
) -> None:
    seed(
        hass_storage,
        [
            spec(id="nepal", timezone="Asia/Kathmandu"),
            spec(id="marquesas", timezone="Pacific/Marquesas"),
        ],
    )
    _, backend = await setup_local(hass)
    assert set(backend.runner.schedules) == {"nepal", "marquesas"}
    assert blocking_calls(caplog) == []
