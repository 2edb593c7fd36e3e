"""The base program: versions, levels and qualifying spend, the terms in words."""
