"""Timers, actions, levels, storage and sun times shared by the local entry and run-here."""
