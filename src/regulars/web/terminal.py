"""The cashier terminal: a till in the browser."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/terminal", include_in_schema=False)
