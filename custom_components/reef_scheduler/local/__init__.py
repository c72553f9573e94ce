"""The local entry: schedules stored and run by Home Assistant."""
