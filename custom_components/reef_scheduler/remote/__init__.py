"""The Bella's Reef server entry: mirror a server's schedules, optionally run them here."""
