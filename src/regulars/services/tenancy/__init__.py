"""Tenancy: businesses, their stores, tills, staff, API keys and settings."""
