"""Scheduled jobs: their schedule, last outcome and the lock that runs each once at a time."""
