"""The one-time code at commit: spending more than the program's ``otp_above_points`` on one
receipt needs the code texted to the member's phone. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.errors import CodeRefused, RegularsError, TooManyAttempts
from regulars.services.checkout import commit as checkout_commit
from regulars.services.members.members import MemberRef
from regulars.services.messaging.messaging import MemorySender
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import (
    Commit,
    Pos,
    count_rows,
    line,
    phone,
    run_together,
    set_program,
)

BIG = (line("espresso machine", 400_000),)  # 30 % of it pays up to 1 200 points
THRESHOLD = 100


@pytest.fixture
def sender(rt: Runtime) -> MemorySender:
    rt.sender = MemorySender()
    return rt.sender


@pytest.fixture
def pos(rt: Runtime, shop: Shop, sender: MemorySender) -> Pos:  # noqa: ARG001 (codes go to it)
    set_program(rt, shop.tenant_id, otp_above_points=THRESHOLD)
    return Pos(rt, shop)


@pytest.fixture
def member(pos: Pos) -> int:
    member_id = int(pos.register(1)["id"])
    pos.grant(member_id, 1_000)
    return member_id


def last_code(sender: MemorySender) -> str:
    found = re.search(r"\b(\d{6})\b", sender.sent[-1].text)
    assert found
    return found.group(1)


def send_code(pos: Pos, member_id: int, till: int = 0) -> dict[str, Any]:
    """The answer as JSON, as the API sends it."""
    body: dict[str, Any] = to_json(checkout_commit.send_spend_code(pos.rt, pos.till(till),
                                                                   MemberRef(id=member_id)))
    return body


def with_code(commit: Commit, code: str | None) -> Commit:
    return dataclasses.replace(commit, request=dataclasses.replace(commit.request,
                                                                   otp_code=code))


def spend(pos: Pos, member_id: int, code: str | None, *, receipt: str, points: int = 200,
          key: str | None = None) -> Commit:
    return with_code(pos.prepare(member_id, BIG, receipt=receipt, spend=points, key=key), code)


def refusal(call: Any) -> RegularsError:
    with pytest.raises(RegularsError) as caught:
        call()
    return caught.value


def test_quote_says_when_the_spend_needs_a_code(pos: Pos, member: int) -> None:
    assert pos.quote(member, BIG, spend=THRESHOLD)["otp_required"] is False
    assert pos.quote(member, BIG, spend=THRESHOLD + 1)["otp_required"] is True
    assert pos.quote(member, BIG)["otp_required"] is False


def test_a_spend_above_the_threshold_commits_with_the_code_sent(
        pos: Pos, member: int, sender: MemorySender) -> None:
    sent = send_code(pos, member)
    assert sent["phone_ending"] == phone(1)[-4:]
    assert sender.sent[-1].phone == phone(1)
    body = pos.send(spend(pos, member, last_code(sender), receipt="R-1")).body
    assert body["points_spent"] == 200
    assert pos.balance(member) == 1_000 - 200 + body["points_earned"]


def test_a_spend_at_the_threshold_needs_no_code(pos: Pos, member: int) -> None:
    body = pos.send(spend(pos, member, None, receipt="R-1", points=THRESHOLD)).body
    assert body["points_spent"] == THRESHOLD


def test_a_missing_code_is_refused_and_nothing_is_written(
        pos: Pos, member: int, rt: Runtime) -> None:
    before = count_rows(rt, pos.tenant_id)
    error = refusal(lambda: pos.send(spend(pos, member, None, receipt="R-1")))
    assert isinstance(error, CodeRefused) and error.field == "otp_code"
    assert "one-time code" in error.detail
    send_code(pos, member)
    error = refusal(lambda: pos.send(spend(pos, member, "", receipt="R-1")))
    assert isinstance(error, CodeRefused) and error.field == "otp_code"
    assert count_rows(rt, pos.tenant_id) == before
    assert pos.balance(member) == 1_000


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(
        pos: Pos, member: int, sender: MemorySender, rt: Runtime) -> None:
    send_code(pos, member)
    right = last_code(sender)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(5):
        error = refusal(lambda a=attempt: pos.send(spend(pos, member, wrong, receipt=f"W-{a}")))
        assert isinstance(error, CodeRefused) and error.field == "otp_code"
    error = refusal(lambda: pos.send(spend(pos, member, right, receipt="R-1")))
    assert isinstance(error, CodeRefused) and "too many wrong attempts" in error.detail
    assert count_rows(rt, pos.tenant_id)["receipts"] == 0


def test_a_code_expires_after_five_minutes(
        pos: Pos, member: int, sender: MemorySender, clock: FakeClock) -> None:
    send_code(pos, member)
    clock.advance(minutes=5)
    error = refusal(lambda: pos.send(spend(pos, member, last_code(sender), receipt="R-1")))
    assert isinstance(error, CodeRefused) and "expired" in error.detail
    send_code(pos, member)
    clock.advance(minutes=4, seconds=59)
    assert pos.send(spend(pos, member, last_code(sender), receipt="R-2")).body["points_spent"]


def test_a_code_works_once_and_a_failed_commit_leaves_it_unused(
        pos: Pos, member: int, sender: MemorySender) -> None:
    send_code(pos, member)
    code = last_code(sender)
    # More than 30 % of the bill: refused after the code was taken, so it stays unused.
    refused = refusal(lambda: pos.send(spend(pos, member, code, receipt="R-0",
                                             points=1_500)))
    assert not isinstance(refused, CodeRefused)
    pos.send(spend(pos, member, code, receipt="R-1"))
    error = refusal(lambda: pos.send(spend(pos, member, code, receipt="R-2")))
    assert isinstance(error, CodeRefused) and "already used" in error.detail


def test_a_replay_answers_as_the_first_commit_without_the_code(
        pos: Pos, member: int, sender: MemorySender) -> None:
    send_code(pos, member)
    first = pos.send(spend(pos, member, last_code(sender), receipt="R-1", key="k-1"))
    again = pos.send(spend(pos, member, None, receipt="R-1", key="k-1"))
    assert again.replayed and again.body == first.body
    by_number = pos.send(spend(pos, member, "000000", receipt="R-1", key="k-2"))
    assert by_number.replayed and by_number.body["receipt"] == first.body["receipt"]
    assert pos.balance(member) == 1_000 - 200 + first.body["points_earned"]


def test_two_commits_racing_with_one_code_use_it_once(
        pos: Pos, member: int, sender: MemorySender, rt: Runtime) -> None:
    send_code(pos, member)
    code = last_code(sender)
    commits = [spend(pos, member, code, receipt=f"R-{i}") for i in range(2)]
    results = run_together(2, lambda i: pos.send(commits[i]))
    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    assert len(wins) == 1 and len(losses) == 1
    assert isinstance(losses[0], CodeRefused) and losses[0].field == "otp_code"
    assert count_rows(rt, pos.tenant_id)["receipts"] == 1
    assert pos.balance(member) == 1_000 - 200 + wins[0].body["points_earned"]


def test_codes_are_limited_per_number(pos: Pos, member: int) -> None:
    for _ in range(3):
        send_code(pos, member)
    error = refusal(lambda: send_code(pos, member))
    assert isinstance(error, TooManyAttempts) and error.retry_after_seconds > 0


def test_codes_are_limited_per_till(pos: Pos) -> None:
    ids = [int(pos.register(n)["id"]) for n in range(10, 31)]
    for member_id in ids[:20]:
        for _ in range(3):
            send_code(pos, member_id)
    error = refusal(lambda: send_code(pos, ids[20]))
    assert isinstance(error, TooManyAttempts) and "till" in error.detail
    send_code(pos, ids[20], till=1)  # another till has its own allowance


@pytest.mark.usefixtures("pos")
def test_over_http_the_code_is_a_field_of_the_commit(
        client: TestClient, shop: Shop, member: int, sender: MemorySender) -> None:
    sale = {"member": {"id": member}, "points_to_spend": 200,
            "lines": [{"sku": "m", "quantity": 1, "unit_price_minor": 400_000}]}
    quoted = client.post("/v1/pos/quote", json=sale, headers=shop.till())
    assert quoted.status_code == 200 and quoted.json()["otp_required"] is True
    headers = {**shop.till(), "Idempotency-Key": "h-1"}
    missing = client.post("/v1/pos/commit", json={**sale, "receipt_id": "H-1"}, headers=headers)
    assert missing.status_code == 422, missing.text
    assert missing.json()["field"] == "otp_code"
    asked = client.post("/v1/pos/otp", json={"member": {"id": member}}, headers=shop.till())
    assert asked.status_code == 200 and asked.json()["expires_in_seconds"] == 300
    done = client.post("/v1/pos/commit", json={**sale, "receipt_id": "H-1",
                                               "otp_code": last_code(sender)},
                       headers=headers)
    assert done.status_code == 200, done.text
    replay = client.post("/v1/pos/commit", json={**sale, "receipt_id": "H-1"}, headers=headers)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    for _ in range(2):
        client.post("/v1/pos/otp", json={"member": {"id": member}}, headers=shop.till())
    limited = client.post("/v1/pos/otp", json={"member": {"id": member}}, headers=shop.till())
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    unknown = client.post("/v1/pos/otp", json={"member": {"phone": phone(99)}},
                          headers=shop.till())
    assert unknown.status_code == 404
