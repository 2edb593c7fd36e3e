"""Scheduled jobs run by Regulars itself (in ``serve`` or ``regulars worker``)."""
