"""Imports: receipts and members from CSV, XLSX or whitespace-separated text files."""
