"""Server-rendered pages (Jinja2 + htmx): the console, the cashier terminal, the customer page.

Every asset is served by Regulars itself from ``/static``; nothing comes from a CDN and there
is no JavaScript build step.
"""
