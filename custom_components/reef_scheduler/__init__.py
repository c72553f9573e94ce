"""Reef Scheduler: reef aquarium schedules for Home Assistant."""
