"""Console pages: receipts."""

from __future__ import annotations

from regulars.web.console import router  # noqa: F401  (pages register on this router)
