"""The outbox in batches: due messages claimed in one statement, a sender killed mid-batch
loses nothing (the claim lapses and every message goes at least once), two senders never
share a message, and a campaign's bulk queue adds nothing when run again. On SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from regulars.db import bulk
from regulars.db.messaging import outbox as store
from regulars.db.messaging.tables import message_caps, outbox_messages
from regulars.domain.messaging.templates import Wording
from regulars.services.messaging import notify, outbox
from regulars.services.messaging.messaging import MemorySender, TextMessage
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, phone


class Killed(BaseException):
    """The process dies (nothing below catches it)."""


@dataclass
class DyingSender:
    """Takes ``lives`` messages, then the process dies in the middle of the batch."""

    lives: int
    sent: list[TextMessage] = field(default_factory=list)

    def send(self, message: TextMessage) -> None:
        if len(self.sent) >= self.lives:
            raise Killed
        self.sent.append(message)


def queue_plain(rt: Runtime, tenant_id: int, count: int, now: datetime) -> None:
    with rt.db.write() as conn:
        for n in range(count):
            outbox.queue(conn, tenant_id, key=f"plain:{n}", channel="sms",
                         recipient=phone(n + 1), body=f"message {n}", now=now)


def statuses(rt: Runtime, tenant_id: int) -> dict[str, int]:
    o = outbox_messages
    with rt.db.read() as conn:
        return {str(s): int(n) for s, n in conn.execute(
            select(o.c.status, func.count()).where(o.c.tenant_id == tenant_id)
            .group_by(o.c.status))}


def test_a_sender_killed_mid_batch_loses_nothing(rt: Runtime, shop: Shop,
                                                 clock: FakeClock) -> None:
    queue_plain(rt, shop.tenant_id, 12, clock())
    rt.sender = dying = DyingSender(lives=5)
    with pytest.raises(Killed):
        outbox.send_batch(rt, shop.tenant_id, limit=10)
    assert len(dying.sent) == 5
    assert statuses(rt, shop.tenant_id) == {"queued": 12}  # nothing recorded as sent
    rt.sender = sink = MemorySender()
    # The two not claimed go at once; the claimed ten wait for their claim to lapse.
    assert outbox.send_due(rt).sent == 2
    clock.advance(seconds=outbox.CLAIM.total_seconds() - 1)
    assert outbox.send_due(rt).sent == 0
    clock.advance(seconds=2)
    assert outbox.send_due(rt).sent == 10
    assert statuses(rt, shop.tenant_id) == {"sent": 12}
    delivered = [m.text for m in dying.sent] + [m.text for m in sink.sent]
    assert sorted(set(delivered)) == sorted(f"message {n}" for n in range(12))
    assert len(delivered) == 17  # the five sent before the kill went twice: at least once


def test_two_senders_never_claim_the_same_message(rt: Runtime, shop: Shop,
                                                  clock: FakeClock) -> None:
    queue_plain(rt, shop.tenant_id, 9, clock())
    now = clock()
    with rt.db.write() as conn:
        first = store.claim_due(conn, shop.tenant_id, now=now, until=now + outbox.CLAIM,
                                limit=5)
    with rt.db.write() as conn:
        second = store.claim_due(conn, shop.tenant_id, now=now, until=now + outbox.CLAIM,
                                 limit=5)
    assert (len(first), len(second)) == (5, 4)
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert all(r["attempts"] == 1 for r in first + second)


def test_a_batch_records_each_outcome(rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    queue_plain(rt, shop.tenant_id, 3, clock())
    with rt.db.write() as conn:
        outbox.queue(conn, shop.tenant_id, key="mail:1", channel="email",
                     recipient="anna@example.com", body="hello", now=clock())
    rt.sender = sink = MemorySender()
    # No SMTP server is configured: the e-mail waits for another attempt, the rest go.
    assert sorted(outbox.send_batch(rt, shop.tenant_id)) == ["queued", "sent", "sent", "sent"]
    assert len(sink.sent) == 3
    assert statuses(rt, shop.tenant_id) == {"sent": 3, "queued": 1}


def test_a_bulk_queue_run_twice_queues_and_counts_once(rt: Runtime, shop: Shop,
                                                       clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    ids = [pos.register(n)["id"] for n in range(1, 31)]
    batch = notify.Batch(event="campaign", member_ids=ids, key=lambda m: f"bulk:{m}",
                         texts={"ru": Wording(subject="Hi", body="{first_name}, hi!")})

    def queue() -> notify.Queued:
        with rt.db.write() as conn:
            return notify.queue(conn, rt, shop.tenant_id, batch, clock())

    assert queue().count("queued") == 30
    assert queue().count("already") == 30
    o, c = outbox_messages, message_caps
    with rt.db.read() as conn:
        assert conn.execute(select(func.count()).where(
            o.c.tenant_id == shop.tenant_id, o.c.event == "campaign")).scalar_one() == 30
        assert set(conn.execute(select(c.c.sent).where(
            c.c.tenant_id == shop.tenant_id)).scalars()) == {1}


def test_a_bulk_insert_keeps_times_and_skips_what_is_there(rt: Runtime, shop: Shop) -> None:
    at = datetime(2026, 5, 1, 7, 30, 15, 123456, tzinfo=UTC)
    rows = [{"tenant_id": shop.tenant_id, "key": f"k{n}", "channel": "sms",
             "recipient": "+10000000000", "subject": None, "body": "Привет, «мир»",
             "erase_after_send": n == 1, "status": "queued", "attempts": 0,
             "next_attempt_at": at + timedelta(minutes=n), "created_at": at,
             "member_id": None, "event": None, "kind": None, "campaign_id": None}
            for n in range(3)]
    o = outbox_messages
    with rt.db.write() as conn:
        assert bulk.insert_ignoring(conn, o, rows[:2], conflict=["tenant_id", "key"]) == 2
        assert bulk.insert_ignoring(conn, o, rows, conflict=["tenant_id", "key"]) == 1
    with rt.db.read() as conn:
        found = [dict(r._mapping) for r in conn.execute(
            select(o).where(o.c.tenant_id == shop.tenant_id, o.c.key.like("k%"))
            .order_by(o.c.key))]
        assert [r["next_attempt_at"] for r in found] == [at, at + timedelta(minutes=1),
                                                         at + timedelta(minutes=2)]
        assert [r["erase_after_send"] for r in found] == [False, True, False]
        assert found[0]["body"] == "Привет, «мир»" and found[0]["subject"] is None
        assert conn.execute(select(func.count()).where(
            bulk.one_of(conn, o.c.key, ["k0", "k2", "nope"]))).scalar_one() == 2
        assert conn.execute(select(func.count()).where(
            bulk.one_of(conn, o.c.id, [r["id"] for r in found]))).scalar_one() == 3
