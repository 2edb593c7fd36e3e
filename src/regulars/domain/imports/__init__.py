"""Imports: the rows of a file read as receipts or members, each cell checked (pure)."""
