"""The business itself: its brand."""
