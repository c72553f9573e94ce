"""Client for the Bella's Reef scheduler service (aiohttp only, no Home Assistant)."""
