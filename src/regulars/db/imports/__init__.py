"""Imports: the reads and batched writes that bring a business's history in."""
