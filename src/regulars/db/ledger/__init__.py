"""The points ledger: accounts, entries, postings, lots, holds and expiry."""
