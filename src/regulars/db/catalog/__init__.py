"""Catalog: the products a business sells (SKU, name, price, category), picked at the till."""
