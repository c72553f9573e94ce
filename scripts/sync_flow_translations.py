"""Copy the schedule steps' texts to every flow that runs those steps, in every language.

The one source is `config_subentries.schedule` of each translation file. The options flow
(`options`, beside its own steps) and the repair flows whose fix is an edit
(`issues.<issue>.fix_flow`) run the same steps; Home Assistant looks their texts up under
their own sections, so each gets a copy. Edit the source, then run
`python scripts/sync_flow_translations.py`; tests/test_translations.py fails while a copy
differs. (After a merge conflict in a copy, take either side and run this again.)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

TRANSLATIONS = (
    Path(__file__).parent.parent / "custom_components" / "reef_scheduler" / "translations"
)
# Steps of the subentry flow alone (the others are the shared schedule steps).
SUBENTRY_ONLY_STEPS = frozenset({"reconfigure"})
SHARED_ABORTS = ("not_loaded", "schedule_not_found")
FIX_FLOW_ISSUES = ("targets_missing", "invalid_schedule")


def _shared(source: dict[str, Any]) -> dict[str, Any]:
    """Return the steps, errors and aborts every flow running the schedule steps needs."""
    return {
        "step": {k: v for k, v in source["step"].items() if k not in SUBENTRY_ONLY_STEPS},
        "error": source["error"],
        "abort": {key: source["abort"][key] for key in SHARED_ABORTS},
    }


def _merged(own: dict[str, Any] | None, shared: dict[str, Any]) -> dict[str, Any]:
    """Return a section's own entries (in their order) followed by the shared ones."""
    kept = {key: value for key, value in (own or {}).items() if key not in shared}
    return kept | shared


def synced(data: dict[str, Any]) -> dict[str, Any]:
    """Return a translation file's data with every copy of the schedule steps up to date."""
    data = copy.deepcopy(data)
    shared = _shared(data["config_subentries"]["schedule"])
    options = data["options"]
    for section in ("step", "error", "abort"):
        options[section] = _merged(options.get(section), shared[section])
    for issue in FIX_FLOW_ISSUES:
        data["issues"][issue]["fix_flow"] = copy.deepcopy(shared)
    return data


def text(data: dict[str, Any]) -> str:
    """Return a translation file's text as the project writes it."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite each translation file with its copies synced."""
    for path in sorted(TRANSLATIONS.glob("*.json")):
        before = path.read_text("utf-8")
        after = text(synced(json.loads(before)))
        if after != before:
            path.write_text(after, "utf-8")
            print(f"updated {path.name}")


if __name__ == "__main__":
    main()
