"""Stamp cards: their definitions, stamps at the till (earned, completed, refunded), expiry
and the member's cards."""
