"""Subentry flow of a schedule: add one, or (reconfigure) edit, run now or skip its next run.

The steps are the shared schedule steps (flow_steps); the subentry only holds the schedule's id
and a copy of its definition. A stored schedule that no longer validates opens its edit steps
directly: it can neither run nor skip.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentryFlow, SubentryFlowResult

from .backend import CONF_SCHEDULE_ID
from .flow_steps import ScheduleSteps


class ScheduleSubentryFlow(ScheduleSteps[SubentryFlowResult], ConfigSubentryFlow):
    """Add a schedule, or act on one."""

    def _schedule_entry(self) -> ConfigEntry:
        """Return the local entry."""
        return self._get_entry()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a schedule."""
        if (abort := self._not_loaded()) is not None:
            return abort
        return await self.async_step_kind()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer editing the schedule, running it now and skipping its next run."""
        if (abort := self._not_loaded()) is not None:
            return abort
        if not self._start_edit(self._get_reconfigure_subentry().data[CONF_SCHEDULE_ID]):
            return self.async_abort(reason="schedule_not_found")
        if self._stored_invalid:
            return await self.async_step_kind()
        options = ["edit", "run_now"]
        if self._backend.runner.states[str(self._schedule_id)].next_due is not None:
            options.append("skip_next")
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=options,
            description_placeholders={"name": self._name},
        )

    async def async_step_edit(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Run the schedule steps filled with the stored schedule."""
        return await self.async_step_kind()

    async def async_step_run_now(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Run the schedule's action now (its timing stays as it is)."""
        await self._backend.async_run_now(str(self._schedule_id))
        return self.async_abort(reason="run_started", description_placeholders={"name": self._name})

    async def async_step_skip_next(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Skip the schedule's next run."""
        runner = self._backend.runner
        sid = str(self._schedule_id)
        placeholders = {"name": self._name}
        if (due := runner.async_skip_next(sid)) is None:
            return self.async_abort(reason="nothing_to_skip", description_placeholders=placeholders)
        local = due.astimezone(runner.zone(runner.schedules[sid]))
        placeholders["due"] = f"{local:%Y-%m-%d %H:%M %Z}"
        return self.async_abort(reason="run_skipped", description_placeholders=placeholders)

    async def _async_save(self, spec: dict[str, Any]) -> SubentryFlowResult:
        """Store the schedule: a new one gets its subentry from this flow."""
        backend = self._backend
        if self._schedule_id is None:
            sid = await backend.async_create(spec, subentry=False)
            return self.async_create_entry(
                title=spec["name"], data=backend.subentry_data(sid), unique_id=sid
            )
        spec = {key: value for key, value in spec.items() if key != "id"}
        await backend.async_update(self._schedule_id, spec)
        return self.async_update_and_abort(
            self._get_entry(), self._get_reconfigure_subentry(), title=spec["name"]
        )
