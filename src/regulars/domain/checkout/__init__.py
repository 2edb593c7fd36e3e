"""Checkout: pricing a basket, committing a receipt once, refunds and voids."""
