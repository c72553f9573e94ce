"""Shared test setup: import the integration early so custom_components resolves to ours."""

import os

from hypothesis import settings

import custom_components.reef_scheduler  # noqa: F401

# No per-example deadline: a loaded CI machine must not turn slow examples into failures.
# CI runs derandomized so a submission's result does not depend on the draw.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
