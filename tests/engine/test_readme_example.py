"""The README's worked reef light: it validates, and its table is what its curves give."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
import re
from zoneinfo import ZoneInfo

import yaml

from custom_components.reef_scheduler.engine.light_curve import channel_curve
from custom_components.reef_scheduler.engine.profile import round_level
from custom_components.reef_scheduler.engine.validate import validate_schedule

README = Path(__file__).parents[2] / "README.md"
ZONE = ZoneInfo("Europe/Berlin")
DAY = date(2026, 12, 24)


def _section() -> str:
    """Return the worked example's section of the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Worked example: a three-channel reef light")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_table_is_what_the_profile_prescribes() -> None:
    """Each level of the README's table is the channel's rounded level at that local time."""
    section = _section()
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    spec = yaml.safe_load(block.group(1))["data"]["schedule"]
    schedule = validate_schedule(spec, default_timezone="Europe/Berlin")
    profile = schedule.action.profile
    assert profile is not None
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    times = [time.fromisoformat(cell) for cell in header[1:]]
    start = datetime.combine(DAY, time(), ZONE).astimezone(UTC)
    checked = 0
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        curve = channel_curve(profile, cells[0], start, zone=ZONE, seed=schedule.id)
        for moment, cell in zip(times, cells[1:], strict=True):
            expected = int(cell.split()[0])
            level = curve.level_at(datetime.combine(DAY, moment, ZONE))
            assert round_level(level) == expected, (cells[0], moment)
            checked += 1
    assert checked == 24
