"""Wallet passes (Apple Wallet, Google Wallet): each business's pass credentials and the
passes issued to members."""
