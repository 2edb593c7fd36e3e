"""Stamp cards: which items add a stamp, when a card completes and what its reward takes off."""
