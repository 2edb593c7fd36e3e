"""Stamp cards: their definitions, what each receipt did to them, the stamp accounts' reads."""
