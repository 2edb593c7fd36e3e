"""Regulars: an open-source loyalty platform."""
