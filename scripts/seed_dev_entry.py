"""Seed the local Reef Scheduler config entry into a dev config that has no entries yet."""

import json
from pathlib import Path
import sys
import uuid


def seed(config_dir: Path) -> bool:
    """Write .storage/core.config_entries with the local entry unless the file exists.

    Returns True when the entry was written.
    """
    storage = config_dir / ".storage"
    path = storage / "core.config_entries"
    if path.exists():
        return False
    storage.mkdir(parents=True, exist_ok=True)
    # Minor version 1 on purpose: Home Assistant's own migration fills in every newer field.
    entry = {
        "entry_id": uuid.uuid4().hex,
        "version": 1,
        "domain": "reef_scheduler",
        "title": "Reef Scheduler",
        "data": {"kind": "local"},
        "source": "user",
    }
    body = {"version": 1, "minor_version": 1, "key": "core.config_entries"}
    path.write_text(json.dumps({**body, "data": {"entries": [entry]}}, indent=2))
    return True


def main() -> None:
    """Seed the entry into the config folder given as the first argument."""
    path = Path(sys.argv[1])
    if seed(path):
        print(f"seeded the Reef Scheduler entry in {path / '.storage' / 'core.config_entries'}")


if __name__ == "__main__":
    main()
