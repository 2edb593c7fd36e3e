"""Wallet passes: the member's card as an Apple Wallet pass and a "Save to Google Wallet"
link, made offline from the business's credentials."""
