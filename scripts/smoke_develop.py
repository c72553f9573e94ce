"""Onboard a fresh dev instance headlessly, list its demo devices and entry, run a demo schedule."""

import asyncio
import sys

import aiohttp

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8123"
CLIENT_ID = f"{BASE}/"


async def token(session: aiohttp.ClientSession) -> str:
    """Create the owner (fresh instance only) and return an access token."""
    user = {
        "client_id": CLIENT_ID,
        "name": "Reef Dev",
        "username": "reef",
        "password": "reef-dev-password",
        "language": "en",
    }
    async with session.post(f"{BASE}/api/onboarding/users", json=user) as resp:
        if resp.status != 200:
            raise SystemExit(
                f"onboarding not possible ({resp.status}): instance already onboarded?"
            )
        code = (await resp.json())["auth_code"]
    form = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID}
    async with session.post(f"{BASE}/auth/token", data=form) as resp:
        access: str = (await resp.json())["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID}),
    ):
        async with session.post(f"{BASE}/api/onboarding/{step}", json=body, headers=headers):
            pass
    return access


async def main() -> None:
    """Print the demo reef entities and the reef_scheduler config entries."""
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {await token(session)}"}
        async with session.get(f"{BASE}/api/states", headers=headers) as resp:
            states = await resp.json()
        for state in states:
            if state["entity_id"].split(".")[0] in ("light", "switch"):
                name = state["attributes"].get("friendly_name")
                print(f"{state['entity_id']:24} {state['state']:6} {name}")
        url = f"{BASE}/api/config/config_entries/entry?domain=reef_scheduler"
        async with session.get(url, headers=headers) as resp:
            for entry in await resp.json():
                print(f"config entry: {entry['domain']} '{entry['title']}' state={entry['state']}")
        await demo_schedule(session, headers)


async def demo_schedule(session: aiohttp.ClientSession, headers: dict[str, str]) -> None:
    """Create a schedule through the action, run it now and show its entities and Reef Blue."""
    schedule = {
        "id": "smoke_sunrise",
        "name": "Smoke sunrise",
        "type": "recurring",
        "frequency": "daily",
        "times": ["08:00"],
        "action": {"type": "set_level", "level": 40, "target": {"entity_id": "light.reef_blue"}},
    }
    services = f"{BASE}/api/services/reef_scheduler"
    async with session.post(
        f"{services}/create_schedule?return_response", json={"schedule": schedule}, headers=headers
    ) as resp:
        print(f"create_schedule: {resp.status} {await resp.json()}")
    async with session.post(
        f"{services}/run_now", json={"schedule_id": "smoke_sunrise"}, headers=headers
    ) as resp:
        print(f"run_now: {resp.status}")
    await asyncio.sleep(1)
    async with session.get(f"{BASE}/api/states", headers=headers) as resp:
        states = await resp.json()
    for state in states:
        if "smoke_sunrise" in state["entity_id"] or state["entity_id"] == "light.reef_blue":
            brightness = state["attributes"].get("brightness", "")
            print(f"{state['entity_id']:40} {state['state']:26} {brightness}")


asyncio.run(main())
