"""Wallet passes: each business's pass credentials and the passes issued to members."""
