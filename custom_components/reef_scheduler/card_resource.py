"""The day card's file: served by the integration and registered as a Lovelace resource.

The ``frontend`` folder is served at ``/reef_scheduler/frontend``. Once Home Assistant has
started, a dashboard in storage mode gets one module resource for the card, its URL carrying a
version (the integration's version and the start of the file's sha256) so browsers load a new
release: added once, its URL updated in place when the version changes, found again by its path
whatever the query. In YAML mode nothing is registered: the README gives the resource lines.
Never ``add_extra_js_url``: the card would race the dashboard's first render.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from homeassistant.components.http import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.helpers.start import async_at_started
from homeassistant.loader import async_get_integration

from .const import DOMAIN, LOGGER

URL_BASE = f"/{DOMAIN}/frontend"
CARD_FILE = "reef-scheduler-card.js"
CARD_URL = f"{URL_BASE}/{CARD_FILE}"
FOLDER = Path(__file__).parent / "frontend"
RES_TYPE = "module"


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the card's folder; register its resource once Home Assistant has started."""
    if getattr(hass, "http", None) is None:
        return  # no web server (a bare test instance): nothing to serve or show
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL_BASE, str(FOLDER), cache_headers=True)]
    )

    async def register(_hass: HomeAssistant) -> None:
        await async_register_resource(hass)

    async_at_started(hass, register)


def file_digest(path: Path) -> str:
    """Return the first 8 hex digits of a file's sha256 (blocking: run it in the executor)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


async def card_url(hass: HomeAssistant) -> str:
    """Return the card's URL with its version query."""
    integration = await async_get_integration(hass, DOMAIN)
    digest = await hass.async_add_executor_job(file_digest, FOLDER / CARD_FILE)
    return f"{CARD_URL}?v={integration.version}-{digest}"


async def async_register_resource(hass: HomeAssistant) -> None:
    """Add or update the card's Lovelace resource (storage mode only)."""
    if "lovelace" not in hass.config.components:
        LOGGER.debug("Dashboards are not loaded: the card's resource is not registered")
        return
    # Imported here: the integration loads without the dashboards (an after-dependency).
    from homeassistant.components.lovelace.const import LOVELACE_DATA
    from homeassistant.components.lovelace.resources import ResourceStorageCollection

    lovelace = hass.data[LOVELACE_DATA]
    resources = lovelace.resources
    url = await card_url(hass)
    if not isinstance(resources, ResourceStorageCollection):
        LOGGER.info(
            "Dashboards in YAML mode: add the resource %s (type module) to use the reef day card",
            url,
        )
        return
    if not resources.loaded:
        await resources.async_load()
        resources.loaded = True
    ours: list[dict[str, Any]] = [
        item
        for item in resources.async_items()
        if str(item.get("url", "")).split("?", 1)[0] == CARD_URL
    ]
    if not ours:
        await resources.async_create_item({"res_type": RES_TYPE, "url": url})
        LOGGER.info("Registered the reef day card's dashboard resource %s", url)
        return
    first, *others = ours
    if first.get("url") != url:
        await resources.async_update_item(first["id"], {"res_type": RES_TYPE, "url": url})
        LOGGER.info("Updated the reef day card's dashboard resource to %s", url)
    for item in others:  # never two: a copy left by hand or an earlier version goes
        await resources.async_delete_item(item["id"])
