"""Analytics rules that need no database: scoring cashiers' own-card fraud."""
