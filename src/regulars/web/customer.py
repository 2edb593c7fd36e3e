"""The customer page: a member's balance, level, history, coupons and card."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/c", include_in_schema=False)
