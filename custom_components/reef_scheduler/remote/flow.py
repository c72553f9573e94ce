"""Config and options flows of a Bella's Reef server entry.

The config flow logs in and reads the user before creating the entry (unique id: the core
service's address and the user id); reauth asks for new credentials of the same user;
reconfigure changes the URLs. The options flow sets the poll interval, run-here and the
mapping of server device ids to Home Assistant entities.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.helpers import selector
import voluptuous as vol
from yarl import URL

from ..api import (
    BellasReefAuthenticationError,
    BellasReefConnectionError,
    BellasReefError,
    User,
)
from ..const import CONF_ENTRY_KIND, ENTRY_KIND_BELLAS_REEF, LOGGER
from .const import (
    CONF_CORE_URL,
    CONF_DEVICE_MAP,
    CONF_RUN_HERE,
    CONF_SCAN_INTERVAL,
    CONF_SCHEDULER_URL,
    CONF_VERIFY_SSL,
    DEFAULT_CORE_URL,
    DEFAULT_RUN_HERE,
    DEFAULT_SCAN_INTERVAL,
    DEFAULT_SCHEDULER_URL,
    DEVICE_FIELD_PREFIX,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
)
from .data import RemoteConfigEntry
from .setup import create_client

CONF_DEVICE_IDS = "device_ids"
_URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))
_PASSWORD = selector.TextSelector(
    selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
)
_DEVICE_IDS_RE = re.compile(r"^\s*(\d+\s*(,\s*\d+\s*)*)?$")


def _valid_url(value: str) -> bool:
    """Return True for an http(s) URL with a host."""
    try:
        url = URL(value.strip())
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _host(url: str) -> str:
    """Return host:port of a URL (no credentials)."""
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}"


def unique_id(data: Mapping[str, Any], user: User) -> str:
    """Return the entry's unique id: the core service's address and the user id."""
    return f"{_host(data[CONF_CORE_URL])}_{user.id}"


async def _async_try_login(
    flow: ConfigFlow, data: Mapping[str, Any], auth_field: str = CONF_PASSWORD
) -> tuple[dict[str, str], User | None]:
    """Log in and read the user on core, then check the scheduler; return (errors, user).

    A refused login is shown on ``auth_field``: the password field where the form has one.
    """
    errors = {key: "invalid_url" for key in (CONF_CORE_URL, CONF_SCHEDULER_URL) if key in data}
    errors = {key: code for key, code in errors.items() if not _valid_url(data[key])}
    if errors:
        return errors, None
    client = create_client(flow.hass, dict(data))
    try:
        try:
            await client.login()
            user = await client.get_current_user()
        except BellasReefAuthenticationError:
            return {auth_field: "invalid_auth"}, None
        except BellasReefError:
            return {CONF_CORE_URL: "cannot_connect"}, None
        try:
            # Core accepted the login: a refusal here is the scheduler's (another SECRET_KEY).
            await client.schedule_stats()
        except BellasReefAuthenticationError:
            return {"base": "invalid_auth"}, None
        except BellasReefConnectionError:
            return {CONF_SCHEDULER_URL: "cannot_connect"}, None
        except BellasReefError:
            return {CONF_SCHEDULER_URL: "not_scheduler"}, None
    except Exception:
        LOGGER.exception("Unexpected error while checking the Bella's Reef server")
        return {"base": "unknown"}, None
    return {}, user


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Strip URLs of blanks and a trailing slash."""
    data = dict(user_input)
    for key in (CONF_CORE_URL, CONF_SCHEDULER_URL):
        if key in data:
            data[key] = str(data[key]).strip().rstrip("/")
    return data


class BellasReefFlowMixin(ConfigFlow):
    """Steps of the config flow that add, re-authenticate and reconfigure a server."""

    async def async_step_bellas_reef(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's URLs and credentials; log in before creating the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            errors, user = await _async_try_login(self, data)
            if user is not None:
                await self.async_set_unique_id(unique_id(data, user))
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=f"Bella's Reef {URL(data[CONF_CORE_URL]).host}",
                    data={CONF_ENTRY_KIND: ENTRY_KIND_BELLAS_REEF, **data},
                )
        defaults = user_input or {}
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_CORE_URL, default=defaults.get(CONF_CORE_URL, DEFAULT_CORE_URL)
                ): _URL,
                vol.Required(
                    CONF_SCHEDULER_URL,
                    default=defaults.get(CONF_SCHEDULER_URL, DEFAULT_SCHEDULER_URL),
                ): _URL,
                vol.Required(CONF_USERNAME, default=defaults.get(CONF_USERNAME, "")): str,
                vol.Required(CONF_PASSWORD): _PASSWORD,
                vol.Required(CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, True)): bool,
            }
        )
        return self.async_show_form(step_id="bellas_reef", data_schema=schema, errors=errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication after the server refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials again (the same server user)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            errors, user = await _async_try_login(self, data)
            if user is not None:
                await self.async_set_unique_id(unique_id(data, user))
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        schema = vol.Schema(
            {
                vol.Required(CONF_USERNAME, default=entry.data[CONF_USERNAME]): str,
                vol.Required(CONF_PASSWORD): _PASSWORD,
            }
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders={"url": str(URL(entry.data[CONF_CORE_URL]).with_user(None))},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server's URLs and TLS check (same user)."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_ENTRY_KIND) != ENTRY_KIND_BELLAS_REEF:
            return self.async_abort(reason="not_supported")
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            # This form has no password field: a refused login is the form's error.
            errors, user = await _async_try_login(self, data, "base")
            if user is not None:
                new_id = unique_id(data, user)
                if str(entry.unique_id).rsplit("_", 1)[-1] != str(user.id):
                    return self.async_abort(reason="wrong_account")
                if new_id != entry.unique_id:
                    await self.async_set_unique_id(new_id)
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry, unique_id=new_id, data_updates=_clean(user_input)
                )
        defaults = {**entry.data, **(user_input or {})}
        schema = vol.Schema(
            {
                vol.Required(CONF_CORE_URL, default=defaults[CONF_CORE_URL]): _URL,
                vol.Required(CONF_SCHEDULER_URL, default=defaults[CONF_SCHEDULER_URL]): _URL,
                vol.Required(CONF_VERIFY_SSL, default=defaults[CONF_VERIFY_SSL]): bool,
            }
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)


def _known_device_ids(entry: RemoteConfigEntry) -> list[int]:
    """Return the server device ids the schedules use, plus those already mapped."""
    ids = {int(device) for device in entry.options.get(CONF_DEVICE_MAP, {})}
    if entry.state is ConfigEntryState.LOADED:
        for remote in (entry.runtime_data.coordinator.data or {}).values():
            ids.update(remote.device_ids)
    return sorted(ids)


class RemoteOptionsFlow(OptionsFlow):
    """Options of a Bella's Reef server entry: polling, run-here and the device mapping."""

    def __init__(self) -> None:
        """Start with no choices made."""
        self._options: dict[str, Any] = {}
        self._device_ids: list[int] = []

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with the server options (own step id: "init" is the local entry's)."""
        return await self.async_step_server()

    async def async_step_server(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the poll interval, run-here and which server devices to map."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        if user_input is not None:
            text = str(user_input.pop(CONF_DEVICE_IDS, ""))
            if _DEVICE_IDS_RE.match(text):
                self._device_ids = sorted({int(part) for part in re.findall(r"\d+", text)})
                self._options = {**options, **user_input}
                return await self.async_step_devices()
            errors[CONF_DEVICE_IDS] = "invalid_device_ids"
        known = ", ".join(str(device) for device in _known_device_ids(self.config_entry))
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_SCAN_INTERVAL,
                    default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL),
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        unit_of_measurement="s",
                        mode=selector.NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(
                    CONF_RUN_HERE, default=options.get(CONF_RUN_HERE, DEFAULT_RUN_HERE)
                ): bool,
                vol.Optional(CONF_DEVICE_IDS, default=known): str,
            }
        )
        return self.async_show_form(step_id="server", data_schema=schema, errors=errors)

    async def async_step_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Map each server device id to Home Assistant entities."""
        current: dict[str, list[str]] = self._options.get(CONF_DEVICE_MAP, {})
        if user_input is not None or not self._device_ids:
            chosen = user_input or {}
            mapping = {
                str(device): list(entities)
                for device in self._device_ids
                if (entities := chosen.get(f"{DEVICE_FIELD_PREFIX}{device}"))
            }
            options = {**self._options, CONF_DEVICE_MAP: mapping}
            options[CONF_SCAN_INTERVAL] = int(options[CONF_SCAN_INTERVAL])
            return self.async_create_entry(data=options)
        entity_selector = selector.EntitySelector(
            selector.EntitySelectorConfig(
                multiple=True,
                domain=["light", "switch", "fan", "input_boolean", "number", "input_number"],
            )
        )
        schema = vol.Schema(
            {
                vol.Optional(
                    f"{DEVICE_FIELD_PREFIX}{device}",
                    description={"suggested_value": current.get(str(device), [])},
                ): entity_selector
                for device in self._device_ids
            }
        )
        return self.async_show_form(
            step_id="devices",
            data_schema=schema,
            description_placeholders={
                "devices": ", ".join(str(device) for device in self._device_ids)
            },
        )
