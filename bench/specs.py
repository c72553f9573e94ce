"""Schedule specs the benchmarks load, and how they are stored on disk (as the integration does)."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
import random
from typing import Any

from custom_components.reef_scheduler.runner.store import (
    SCHEDULES_KEY,
    SCHEDULES_VERSION,
    STATE_KEY,
)

SEED = 20261125
ZONE = "Europe/Berlin"


def make_specs(count: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Return a realistic mix of schedules: daily lights, pump intervals, cron, one-offs."""
    specs: list[dict[str, Any]] = []
    for i in range(count):
        kind = i % 10
        spec: dict[str, Any] = {
            "id": f"s{i}",
            "name": f"Schedule {i}",
            "action": {"type": "on", "target": {"entity_id": [f"switch.pump_{i % 50}"]}},
        }
        if kind < 5:
            minute = rng.randrange(24 * 60)
            spec |= {
                "type": "recurring",
                "frequency": "daily",
                "times": [f"{minute // 60:02d}:{minute % 60:02d}"],
            }
        elif kind < 8:
            spec |= {"type": "interval", "every": rng.choice([300, 900, 3600])}
        elif kind < 9:
            spec |= {"type": "cron", "cron": f"{rng.randrange(60)} */2 * * *"}
        else:
            spec |= {"type": "one_off", "at": (now + timedelta(days=1 + i)).isoformat()}
        spec["created"] = now.isoformat()
        specs.append(spec)
    return specs


def write_schedules(
    config_dir: str | Path, specs: list[dict[str, Any]], states: dict[str, Any] | None = None
) -> None:
    """Write definitions (and state) files as the integration stores them."""
    storage = Path(config_dir) / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    body = {"schedules": {s["id"]: s for s in specs}}
    wrapped = {"version": SCHEDULES_VERSION, "minor_version": 1, "key": SCHEDULES_KEY}
    (storage / SCHEDULES_KEY).write_text(json.dumps(wrapped | {"data": body}))
    if states is not None:
        wrapped = {"version": 1, "minor_version": 1, "key": STATE_KEY}
        (storage / STATE_KEY).write_text(json.dumps(wrapped | {"data": states}))
