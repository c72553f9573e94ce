"""Shared test setup: import the integration early so custom_components resolves to ours."""

import custom_components.reef_scheduler  # noqa: F401
