"""Fail when any module of the integration is covered below the threshold."""

import json
from pathlib import Path
import sys


def main() -> int:
    """Print each module's coverage and return 1 if one is below the threshold."""
    report = json.loads(Path(sys.argv[1]).read_text())
    threshold = float(sys.argv[2])
    below = {
        name: data["summary"]["percent_covered"]
        for name, data in sorted(report["files"].items())
        if data["summary"]["num_statements"] and data["summary"]["percent_covered"] < threshold
    }
    if not report["files"]:
        print("coverage gate: no module was measured")
        return 1
    for name, percent in below.items():
        print(f"coverage gate: {name} is covered {percent:.1f} % (< {threshold:.0f} %)")
    if not below:
        print(f"coverage gate: every module is covered at least {threshold:.0f} %")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
