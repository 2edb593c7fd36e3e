"""Benchmark: a campaign to 100k members queued, then messages sent to a local sink.

Targets (from the issue): a campaign to 100k members is queued in 10 s or less, and messages
are sent at 500 a second or more to a local sink.

    uv run python bench/messaging.py                                   # SQLite, 100k members
    uv run python bench/messaging.py --database-url postgresql://postgres@127.0.0.1:5432/bench_msg
    uv run python bench/messaging.py --members 10000 --send 2000       # a quick run

The script builds the schema and a tenant through the services (a PostgreSQL database must
exist and is emptied first; a SQLite file is made afresh), bulk-loads the members with one
executemany (the services would take minutes), makes a segment of everyone with full consent
and a campaign with a 10 % control group, then times one run of the campaign (what the
``campaigns`` job does) and the sending of its messages (all of them, or ``--send``) through
the outbox (a batch claimed in one statement, the sender, the batch marked in one
transaction: what the ``messages`` job does) to an in-process sink. All of them by default:
on PostgreSQL the first few thousand go about twice as fast as the rest. Last, in another
tenant set up as ``bench/checkout.py`` sets one up, ``--rounds`` alternating rounds of
``--commits`` receipts
with the "points earned" message off and on: what queueing a message in the receipt's
transaction costs a commit (target: at most 1.1 times one without).
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

# The benchmark's made-up members are sealed under the built-in development key, on a second
# run against a database that already holds a business too (as bench/checkout.py's server is).
os.environ.setdefault("REGULARS_PERSONAL_DATA_DEVELOPMENT_KEY_ALLOWED", "true")

from checkout import BASKET, add_tenant
from regulars.config import Settings
from regulars.db import personal
from regulars.db.members.tables import members
from regulars.db.messaging.tables import outbox_messages
from regulars.db.schema import metadata
from regulars.domain.checkout.quote import BasketLine
from regulars.services.audit import audit
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.members.members import MemberRef
from regulars.services.messaging import outbox, templates
from regulars.services.messaging.messaging import MemorySender
from regulars.services.promotions import campaigns, segments
from regulars.services.runtime import Runtime, open_runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import authenticate


def _empty_postgres(url: str) -> None:
    rt = open_runtime(Settings(database_url=url), migrate=True)
    with rt.db.write() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    rt.close()


def fresh_database(url: str | None, sqlite_name: str) -> str:
    """``url`` emptied (PostgreSQL), or a new SQLite file ``sqlite_name`` when None."""
    if url is None:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / sqlite_name}"
    if url.startswith("postgresql"):
        _empty_postgres(url)
    return url


def _load(conn_url: str, n: int) -> tuple[Runtime, int]:
    rt = open_runtime(Settings(database_url=conn_url), migrate=True)
    tenant = tenants.create_tenant(rt, name="Bench Café", currency="RUB", locale="ru_RU",
                                   timezone="Europe/Moscow", phone_region="RU")
    now = datetime.now(UTC)
    rows = [{"tenant_id": tenant.tenant_id, "phone_sealed": personal.seal(phone),
             "phone_index": personal.blind_index(tenant.tenant_id, "phone", phone),
             "first_name": "Anna", "consent": "full", "profile": {}, "status": "active",
             "qr_sealed": personal.seal(secrets.token_hex(8) + str(i)), "created_at": now}
            for i, phone in ((i, f"+7916{i:07d}") for i in range(n))]
    with rt.db.write() as conn:
        for start in range(0, n, 10_000):
            conn.execute(insert(members), rows[start:start + 10_000])
    return rt, tenant.tenant_id


def spring_campaign(rt: Runtime, tenant_id: int) -> int:
    """A campaign to a segment of everyone with full consent, a 10 % control group; its id."""
    segment = segments.create(rt, tenant_id, segments.Draft(
        name="Everyone", rules=(segments.rule_of({"kind": "consent", "values": ["full"]}),)))
    made = campaigns.create(rt, tenant_id, campaigns.Draft(
        name="Spring", segment_id=segment.id, control_percent=10,
        texts={"ru": {"subject": "Весна", "body": "{first_name}, весеннее меню! "
                                                  "{unsubscribe_url}"}}), actor=audit.SYSTEM)
    return made.id


def till(url: str, name: str) -> tuple[Runtime, int, Callable[[], None]]:
    """A tenant set up as ``bench/checkout.py`` sets one up: its runtime, its id, and a
    function that commits the next receipt (the basket of ``bench/checkout.py``, each to the
    next of its members)."""
    keys, phones = add_tenant(url, name=name)
    rt = open_runtime(Settings(database_url=url))
    lines = tuple(BasketLine(sku=ln["sku"], name=ln["name"], category=ln["category"],
                             quantity_milli=ln["quantity"] * 1000,
                             unit_price_minor=ln["unit_price_minor"]) for ln in BASKET)
    tag = f"{time.time():.0f}"
    n = 0

    def commit() -> None:
        nonlocal n
        n += 1
        request = CommitRequest(sale=Sale(member=MemberRef(phone=phones[n % len(phones)]),
                                          lines=lines), receipt_id=f"{tag}-{n}")
        checkout_commit.commit(rt, authenticate(rt, keys[0]), request, key=f"k-{tag}-{n}",
                               payload={"receipt_id": request.receipt_id, "n": n})

    return rt, authenticate(rt, keys[0]).tenant_id, commit


def commit_cost(url: str, rounds: int, commits: int) -> tuple[float, float, int]:
    """Seconds of ``rounds`` × ``commits`` receipts with the tenant's "points earned" message
    off and on (alternating, the order swapped each round), and the messages queued."""
    rt, tenant_id, commit = till(url, "Bench Messages Till")
    spent = {False: 0.0, True: 0.0}
    for _ in range(commits):  # warm the caches and the pool
        commit()
    for round_number in range(rounds):
        for message in (False, True) if round_number % 2 == 0 else (True, False):
            templates.update_settings(rt, tenant_id, {"points_earned": message}, actor=audit.SYSTEM)
            started = time.perf_counter()
            for _ in range(commits):
                commit()
            spent[message] += time.perf_counter() - started
    with rt.db.read() as conn:
        queued = conn.execute(select(func.count()).where(
            outbox_messages.c.tenant_id == tenant_id,
            outbox_messages.c.event == "points_earned")).scalar_one()
    rt.close()
    return spent[False], spent[True], int(queued)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=0,
                        help="messages to send (0: every one the campaign queued)")
    parser.add_argument("--rounds", type=int, default=6,
                        help="alternating rounds of receipts without and with a message")
    parser.add_argument("--commits", type=int, default=100, help="receipts a round")
    args = parser.parse_args()
    url = fresh_database(args.database_url, "bench_messaging.db")
    rt, tenant_id = _load(url, args.members)
    made_id = spring_campaign(rt, tenant_id)
    started = time.perf_counter()
    found = campaigns.run(rt, tenant_id, made_id)
    queue_seconds = time.perf_counter() - started
    assert found is not None
    queued, control = found
    rt.sender = sink = MemorySender()
    to_send = args.send or queued
    started = time.perf_counter()
    while len(sink.sent) < to_send:
        if not outbox.send_batch(rt, tenant_id, limit=min(outbox.BATCH,
                                                          to_send - len(sink.sent))):
            break
    send_seconds = time.perf_counter() - started
    backend = url.split(":", 1)[0]
    print(f"{backend}: {args.members} members, {queued} queued, {control} in the control "
          f"group, queued in {queue_seconds:.2f} s (target 10 s)")
    print(f"{backend}: {len(sink.sent)} messages sent in {send_seconds:.2f} s = "
          f"{len(sink.sent) / send_seconds:.0f} a second (target 500)")
    rt.close()
    if args.rounds:
        without, with_message, queued = commit_cost(url, args.rounds, args.commits)
        count = args.rounds * args.commits
        print(f"{backend}: {count} receipts without a message {without / count * 1000:.2f} ms, "
              f"{count} with one {with_message / count * 1000:.2f} ms each ({queued} queued): "
              f"{with_message / without:.3f}× (target 1.1×)")


if __name__ == "__main__":
    main()
