"""Helpers for customer-page tests over HTTP: members with receipts, and signing in."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from regulars.services.members import registration as member_registration
from regulars.services.members.registration import Registration
from regulars.services.messaging.messaging import MemorySender
from regulars.services.runtime import Runtime
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, line, phone, set_program

CODE = re.compile(r"\b(\d{6})\b")


def sender_of(rt: Runtime) -> MemorySender:
    """The runtime's sender, made a :class:`MemorySender` on first use."""
    if not isinstance(rt.sender, MemorySender):
        rt.sender = MemorySender()
    assert isinstance(rt.sender, MemorySender)
    return rt.sender


def register(rt: Runtime, tenant_id: int, n: int, **fields: Any) -> int:
    view, _ = member_registration.register(rt, tenant_id, Registration(phone=phone(n), **fields))
    return view.id


def with_levels(rt: Runtime, tenant_id: int) -> None:
    """Base 3 % from 0, Gold 5 % from 10 000.00 of lifetime spend; points expire in 90 days."""
    set_program(rt, tenant_id, expire_after_days=90, redeem_share_max_bp=10_000,
                levels=[{"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 300},
                        {"code": "gold", "name": "Gold", "threshold_minor": 1_000_000,
                         "rate_bp": 500}])


def buy(pos: Pos, member_id: int, amount_minor: int, receipt: str, *,
        spend: int = 0) -> dict[str, Any]:
    return pos.commit(member_id, (line("coffee", amount_minor),), receipt=receipt, spend=spend)


def ask_code(client: TestClient, tenant_id: int, number: str) -> Any:
    page = client.get(f"/c/{tenant_id}/sign-in")
    assert page.status_code == 200, page.text
    return client.post(f"/c/{tenant_id}/sign-in",
                       data={"phone": number, "csrf": csrf_of(page.text)})


def enter_code(client: TestClient, tenant_id: int, number: str, code: str) -> Any:
    page = client.get(f"/c/{tenant_id}/sign-in")
    return client.post(f"/c/{tenant_id}/sign-in/code",
                       data={"phone": number, "code": code, "csrf": csrf_of(page.text)},
                       follow_redirects=False)


def last_code(rt: Runtime) -> str:
    found = CODE.search(sender_of(rt).sent[-1].text)
    assert found
    return found.group(1)


def sign_in_member(client: TestClient, rt: Runtime, tenant_id: int, number: str) -> None:
    sender_of(rt)
    asked = ask_code(client, tenant_id, number)
    assert asked.status_code == 200, asked.text
    done = enter_code(client, tenant_id, number, last_code(rt))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/c/{tenant_id}"
