"""Stored value: gift certificates and prepaid wallets as tenders."""
