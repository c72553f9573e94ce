"""Tests for Reef Scheduler."""
