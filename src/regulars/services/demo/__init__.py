"""The demo business, built only through the real services."""
