"""Runs as workers and the API both record them: metric points, counters and their events."""
