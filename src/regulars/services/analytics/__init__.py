"""Figures read from the ledger and the receipts; nothing here writes either."""
