"""Onboard a fresh dev instance headlessly and print its demo devices and Reef Scheduler entries."""

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


asyncio.run(main())
