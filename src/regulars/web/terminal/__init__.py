"""The cashier terminal: a till in the browser for businesses whose POS has no integration.

A browser is paired once with a till key (a long-lived till cookie); cashiers then sign in
with a PIN, find or register the member, sell with points, and refund today's receipts. Each
module adds its pages to ``router``; every page after pairing depends on ``TillSession`` or
``CashierSession``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from regulars.services.runtime import Runtime
from regulars.services.web_sessions.sessions import WebSession
from regulars.web.deps import reader_for
from regulars.web.templating import Reader

router = APIRouter(prefix="/terminal", include_in_schema=False)


def reader_of(runtime: Runtime, request: Request, session: WebSession) -> Reader:
    return reader_for(runtime, request, session, session.tenant_id)


from regulars.web.terminal import (  # noqa: E402,F401  (routes register)
    access,
    goods,
    products,
    receipts,
    sale,
    stored_value,
)
