"""A demo business with a year of history, built through the real services and the till's
pricing engine.

:func:`build` opens "Bean & Leaf Coffee" (three Dublin cafés, two tills each) on an empty
database and replays twelve months of trade up to the runtime's ``now``. A settable clock moves
forward event by event: customers register at a till on their first visit, tills commit
receipts (asking for a quote first when the customer pays with points), a few receipts are
voided minutes later or refunded days later, and the expiry job runs at every month boundary.
Registrations, quotes, refunds, expiry and every receipt a later step needs an answer from go
through ``tenants``, ``members``, ``checkout`` and ``ledger_admin``; the plain receipts (no
points spent, never brought back) are priced by the same engine and written in bulk
(:mod:`regulars.services.demo.bulk`), before any use case looks at their member. So the
ledger, levels and receipts are what real traffic would have produced. A fixed seed makes the
history reproducible; only its dates move with the day it is built.

Customers are drawn from a few personas, so that visit frequency is as uneven as in a real café:
most come once or twice, a few come every working day, some families come for brunch at the
weekend, and a handful of offices order for their teams (the only ones who reach Gold). About
two receipts in five have no member on them. With 2,000 members that is some 12,500 receipts,
of which about one in twelve goes through the till's commit.

:func:`issue_keys` mints the keys the CLI prints: keys are stored hashed, so every start
creates a fresh owner key and rotates the tills' keys, retiring the ones printed before.
"""


from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from regulars.db.catalog import products as product_rows
from regulars.db.checkout.tables import receipts as receipt_table
from regulars.db.engine import Database
from regulars.db.members import members as member_rows
from regulars.db.tenancy import tenancy
from regulars.domain.stamps.cards import GrantAt, Reward, StampCard
from regulars.domain.stored_value.goods import PurchaseTerms
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.analytics import fraud
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.catalog.products import ProductDraft
from regulars.services.demo import feedback as demo_feedback
from regulars.services.demo import reach as demo_reach
from regulars.services.demo import uplift as demo_uplift
from regulars.services.demo import web_accounts as demo_web
from regulars.services.demo.catalog import (
    DAYS,
    FAVOURITES,
    MENU,
    OWNER_KEY_LABEL,
    REWARDS,
    SEED,
    TIMEZONE,
)
from regulars.services.demo.dishonest import dishonest_cashier
from regulars.services.demo.history import Progress, SettableClock, Simulation
from regulars.services.demo.scenarios import save_scenarios
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.messaging import notify
from regulars.services.rewards import catalog as reward_catalog
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards as stamp_cards
from regulars.services.stored_value import goods
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import Principal


@contextmanager
def _unsynced(db: Database) -> Iterator[Database]:
    """``db`` opened once more with ``synchronous=NORMAL`` when it is an SQLite file.

    The demo is disposable and rebuilt from its seed, so waiting for the disk on each of its
    fifteen thousand commits buys nothing (it cost a quarter of the build's time); in WAL mode
    the file stays consistent even if the build is cut short. Other databases are used as is.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield db
        return
    fast = Database.from_url(url.render_as_string(hide_password=False))
    event.listen(fast.engine, "connect", _synchronous_normal)
    try:
        yield fast
    finally:
        fast.dispose()


def _synchronous_normal(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def build(rt: Runtime, *, members: int = 2000, progress: Progress | None = None,
          in_bulk: bool = True) -> None:
    """Create the demo business and a year of its trade, ending at ``rt.now()``. With
    ``in_bulk`` false every receipt goes through the till's commit (the benchmark's baseline).

    Raises :class:`InvalidInput` for fewer than one member, :class:`Conflict` when the database
    already holds a tenant, and ``RuntimeError`` if the finished ledger does not reconcile
    (which would be a bug in the services, not in the demo).
    """
    if members < 1:
        raise InvalidInput("the demo needs at least one member", field="members")
    with rt.db.read() as conn:
        if tenancy.list_tenants(conn):
            raise Conflict("the demo is built on an empty database")
    end = rt.now()
    zone = ZoneInfo(TIMEZONE)
    first_day = end.astimezone(zone).date() - timedelta(days=DAYS)
    clock = SettableClock(datetime.combine(first_day, time(6), zone).astimezone(UTC))
    with _unsynced(rt.db) as db:
        sim = Simulation(rt=Runtime(db=db, clock=clock, settings=rt.settings), clock=clock,
                          rng=random.Random(SEED), first_day=first_day, end=end, zone=zone,
                          in_bulk=in_bulk)
        sim.open_business()
        _stock(sim.rt, sim.tenant_id)
        sim.dishonest = dishonest_cashier(sim.staff, end, SEED)
        sim.plan(members)
        done = sim.run(progress)
        demo_uplift.add(sim.rt, sim.tenant_id, clock, end=end,
                        today=end.astimezone(zone).date())
        demo_reach.newsletter(sim.rt, sim.tenant_id, clock, end=end)
        clock.now = end
        demo_reach.gift_cards(sim.rt, sim.tenant_id)
        _stamp_card(sim.rt, sim.tenant_id)
        _coffee_cards(sim.rt, sim.tenant_id, sim.tills[0].principal)
        ledger_admin.expire(sim.rt)
        fraud.scan(sim.rt, sim.tenant_id)
        save_scenarios(sim.rt, sim.tenant_id, end=end, zone=zone)
        _rewards(sim.rt, sim.tenant_id)
        demo_feedback.add(sim.rt, sim.tenant_id, seed=SEED)
        notify.retire_history(sim.rt, sim.tenant_id, before=end - timedelta(hours=1))
        problems = ledger_admin.check(sim.rt)
    if problems:
        raise RuntimeError(f"the demo ledger does not reconcile: {problems[:5]}")
    if progress:
        progress(done, done)


def _stock(rt: Runtime, tenant_id: int) -> None:
    """The café's menu as its product list, the most sold items as the till's quick keys."""
    for item in MENU:
        products.create(rt, tenant_id, ProductDraft(
            sku=item.sku, name=item.name, price_minor=item.price_minor, category=item.category,
            favourite=item.sku in FAVOURITES), actor=audit.SYSTEM)


def _stamp_card(rt: Runtime, tenant_id: int) -> None:
    """The coffee stamp card: buy 9, the 10th is free. Opened at the end of the year of
    history (the receipts before it add no stamps, and the simulation stays as fast), so the
    till and the customer page show it from the first coffee sold."""
    stamp_cards.create(rt, tenant_id, StampCard(
        id=0, name="Coffee", categories=frozenset({"coffee"}), per_card=10,
        reward=Reward.FREE_ITEM, grant_at=GrantAt.COMPLETING, expiry_days=180,
        titles={"en": "Coffee card: the 10th is free", "ru": "Кофейная карта: 10-й бесплатно",
                "uk": "Кавова картка: 10-та безкоштовно",
                "bg": "Кафе карта: 10-тото е безплатно"}), audit.staff(None))


def _coffee_cards(rt: Runtime, tenant_id: int, till: Principal) -> None:
    """Prepaid goods, a few rows' worth: ten flat whites bought in advance on a bearer card
    (the price locked), and the first member's own card of five."""
    with rt.db.read() as conn:
        product_id = product_rows.ids_by_sku(conn, tenant_id, ["flat-white"])["flat-white"]
        first = [m.id for m in member_rows.search_members(conn, tenant_id, text=None, limit=1,
                                                          offset=0)]
    for n, member in enumerate([None, *first]):
        opened = goods.open_account(rt, tenant_id, goods.Opening(
            product_id=product_id, unit="cup",
            member=MemberRef(id=member) if member is not None else None), actor=audit.SYSTEM)
        cups = 10 - 5 * n
        goods.top_up(rt, till, opened.account.id,
                     PurchaseTerms(quantity_milli=cups * 1000, paid_minor=cups * 340,
                                   lock_price=True),
                     key=f"demo-cups-{n}", payload={"cups": cups})


def _rewards(rt: Runtime, tenant_id: int) -> None:
    """A small rewards catalogue: a coffee, a pastry and 10 % off a visit, bought with points."""
    for draft in REWARDS:
        reward_catalog.create(rt, tenant_id, draft, actor=audit.SYSTEM)


def issue_keys(rt: Runtime) -> dict[str, Any]:
    """A fresh owner key and new till keys for the demo business (the first tenant), with the
    counts the CLI shows. Earlier demo owner keys and till keys stop working.

    Raises :class:`NotFound` when the database holds no business.
    """
    with rt.db.read() as conn:
        found = tenancy.list_tenants(conn)
        if not found:
            raise NotFound("no demo business here: run `regulars demo --reset`")
        tenant = found[0]
        member_count = member_rows.count_members(conn, tenant.id)
        receipt_count = int(conn.execute(
            select(func.count()).select_from(receipt_table)
            .where(receipt_table.c.tenant_id == tenant.id)).scalar_one())
    for old in tenants.list_keys(rt, tenant.id):
        if old.kind == "owner" and old.label == OWNER_KEY_LABEL and old.revoked_at is None:
            tenants.revoke_key(rt, tenant.id, old.id, actor=audit.SYSTEM)
    owner = tenants.create_owner_key(rt, tenant.id, OWNER_KEY_LABEL, ["admin"], actor=audit.SYSTEM)
    store_names = {s.id: s.name for s in tenants.list_stores(rt, tenant.id)}
    tills = []
    for till in tenants.list_terminals(rt, tenant.id):
        if till.revoked_at is None:
            key = tenants.rotate_terminal_key(rt, tenant.id, till.id, actor=audit.SYSTEM).key
            tills.append({"code": till.code, "store": store_names[till.store_id],
                          "key": key})
    return {"tenant_id": tenant.id, "tenant_name": tenant.name, "members": member_count,
            "receipts": receipt_count, "owner_key": owner.key, "tills": tills,
            "web": demo_web.web_access(rt, tenant.id)}

