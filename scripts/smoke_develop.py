"""Onboard a fresh dev instance headlessly, list its demo devices and entry, run a demo schedule."""

import asyncio
import sys

import aiohttp
from dev_instance import HassClient, HassError

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8123"


async def main() -> None:
    """Print the demo reef entities and the reef_scheduler config entries."""
    async with aiohttp.ClientSession() as session:
        client = HassClient(session, BASE)
        try:
            await client.onboard()
        except HassError as err:
            raise SystemExit(str(err)) from err
        for entity_id, state in sorted((await client.states()).items()):
            if entity_id.split(".")[0] in ("light", "switch"):
                name = state["attributes"].get("friendly_name")
                print(f"{entity_id:24} {state['state']:6} {name}")
        for entry in await client.entries("reef_scheduler"):
            print(f"config entry: {entry['domain']} '{entry['title']}' state={entry['state']}")
        await demo_schedule(client)


async def demo_schedule(client: HassClient) -> None:
    """Create a schedule through the action, run it now and show its switch and Reef Blue."""
    schedule = {
        "id": "smoke_sunrise",
        "name": "Smoke sunrise",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "set_level", "level": 40, "target": {"entity_id": "light.reef_blue"}},
    }
    created = await client.call(
        "reef_scheduler", "create_schedule", {"schedule": schedule}, response=True
    )
    print(f"create_schedule: {created}")
    await client.call("reef_scheduler", "run_now", {"schedule_id": "smoke_sunrise"})
    print("run_now: done")
    await asyncio.sleep(1)
    states = await client.states()
    switch = states["switch.smoke_sunrise_enabled"]
    runs = {key: switch["attributes"].get(key) for key in ("last_result", "runs", "next_run")}
    print(f"{'switch.smoke_sunrise_enabled':40} {switch['state']:6} {runs}")
    light = states["light.reef_blue"]
    print(f"{'light.reef_blue':40} {light['state']:6} {light['attributes'].get('brightness')}")


asyncio.run(main())
