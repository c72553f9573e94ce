"""What the steps of a schedule kind (profile, wave, dosing) use of the schedule steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import FlowHandler, FlowResult
import voluptuous as vol


class KindSteps[ResultT: FlowResult[Any, Any]](FlowHandler[Any, ResultT, Any]):
    """A kind's steps: the schedule steps (flow_steps.py) provide checks, forms and policy."""

    _spec: dict[str, Any]

    if TYPE_CHECKING:

        async def _async_errors(
            self, step_id: str, spec: dict[str, Any], schema: vol.Schema, *, final: bool = False
        ) -> tuple[dict[str, str], dict[str, str]]: ...

        async def _async_form(
            self,
            step_id: str,
            schema: vol.Schema,
            values: Mapping[str, Any],
            errors: dict[str, str],
            placeholders: dict[str, str],
        ) -> ResultT: ...

        async def _async_policy_step(
            self, step_id: str, user_input: dict[str, Any] | None
        ) -> ResultT: ...
