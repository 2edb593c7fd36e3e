"""The points figures count entries of points only: the money a wallet or gift certificate
gives back on a void, a certificate's breakage and a stamp card's stamps share entry codes
with points (``void``, ``expire``, ``earn``) but move no points, in the figures read from the
entries, in the daily aggregates and in the ledger check's recomputation of them; migration
0053 takes what such entries counted off the stored rows (SQLite, and PostgreSQL for tests
marked ``postgres``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import update

from regulars.db.analytics import days
from regulars.db.analytics import figures as queries
from regulars.db.analytics.figures import Scope
from regulars.db.analytics.tables import sales_days
from regulars.db.ledger.tables import entries
from regulars.domain.analytics.figures import PointsTotals
from regulars.domain.analytics.ranges import Preset
from regulars.domain.stamps.cards import Reward, StampCard
from regulars.domain.stored_value.certificates import SeriesTerms, Tender, TenderKind
from regulars.services.analytics import figures
from regulars.services.analytics.figures import Request
from regulars.services.audit import audit
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.runtime import Runtime
from regulars.services.stamps import cards
from regulars.services.stored_value import certificates, wallets
from regulars.services.stored_value import expiry as stored_value_expiry
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Pos, line, migrating, set_program

BASKET = (line("cake", 3000), line("tea", 1000))  # 4 000 to pay
EVER = Scope(
    tenant_id=0, start=datetime(2000, 1, 1, tzinfo=UTC), end=datetime(2100, 1, 1, tzinfo=UTC)
)


def points_figures(rt: Runtime, tenant_id: int) -> tuple[PointsTotals, PointsTotals, PointsTotals]:
    """(the overview's points, read from the aggregates; the points read from the entries;
    the aggregates' points of every day)."""
    board = figures.overview(rt, tenant_id, Request(preset=Preset.LAST_90_DAYS))
    with rt.db.read() as conn:
        direct = queries.points_totals(conn, replace(EVER, tenant_id=tenant_id))
        stored = days.totals(conn, tenant_id, date(2000, 1, 1), date(2100, 1, 1))[2]
    shown = board.current.points
    return (
        PointsTotals(issued=shown.issued, redeemed=shown.redeemed, expired=shown.expired),
        direct,
        stored,
    )


def paying(
    pos: Pos, member_id: int | None, receipt: str, tenders: list[Tender], *, spend: int = 0
) -> int:
    """Commit :data:`BASKET` paid partly by ``tenders``; the receipt's id."""
    prepared = pos.prepare(member_id, BASKET, receipt=receipt, spend=spend)
    payload = {
        **prepared.payload,
        "tenders": [
            {"kind": t.kind.value, "code": t.code, "amount": t.amount_minor} for t in tenders
        ],
    }
    commit = replace(
        prepared,
        payload=payload,
        request=replace(
            prepared.request, sale=replace(prepared.request.sale, tenders=tuple(tenders))
        ),
    )
    return int(pos.send(commit).body["receipt"]["id"])


def certificate(rt: Runtime, pos: Pos, *, valid_days: int = 365) -> str:
    series = certificates.create_series(
        rt,
        pos.tenant_id,
        SeriesTerms(name="Gift card", nominal_values_minor=(5000,), valid_days=valid_days),
        actor=audit.SYSTEM,
    )
    done = certificates.issue(
        rt, pos.tenant_id, IssueOrder(series_id=series.id, count=1, amount_minor=5000),
        actor=audit.SYSTEM,
    )
    return done.codes[0]


def wallet_void(rt: Runtime, pos: Pos) -> None:
    """A member with 300 points and 50.00 in the wallet pays a receipt with 10 points and
    20.00 from the wallet; the receipt is voided."""
    set_program(rt, pos.tenant_id, redeem_share_max_bp=10_000)
    member = pos.register(1)["id"]
    pos.grant(member, 300)
    wallets.top_up(
        rt,
        pos.till(),
        MemberRef(id=member),
        amount_minor=5000,
        paid_by=PaidBy.CARD,
        key="top-up-1",
        payload={"key": "top-up-1"},
    )
    receipt_id = paying(
        pos, member, "R-1", [Tender(kind=TenderKind.WALLET, amount_minor=2000)], spend=10
    )
    assert points_figures(rt, pos.tenant_id)[1].redeemed == 10
    pos.void(receipt_id, key="void-1")


def test_a_void_of_a_receipt_paid_from_a_wallet_counts_its_points_only(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Wallet Café"))
    wallet_void(rt, pos)
    board, direct, stored = points_figures(rt, pos.tenant_id)
    assert direct == stored == board
    assert (direct.issued, direct.redeemed, direct.expired) == (0, 0, 0)
    assert ledger_admin.check(rt, pos.tenant_id) == []


def test_a_certificate_tender_refunded_then_voided_counts_no_points(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Gift Café"))
    code = certificate(rt, pos)
    tender = Tender(kind=TenderKind.CERTIFICATE, code=code, amount_minor=2000)
    refunded = paying(pos, None, "R-1", [tender])
    pos.refund(refunded, [(1, 1000)], key="refund-1")
    pos.refund(refunded, None, key="refund-2")
    pos.void(paying(pos, None, "R-2", [tender]), key="void-1")
    assert certificates.look_up(rt, pos.tenant_id, code).balance_minor == 5000
    board, direct, stored = points_figures(rt, pos.tenant_id)
    assert direct == stored == board == PointsTotals()
    assert ledger_admin.check(rt, pos.tenant_id) == []


def test_a_certificates_breakage_is_no_points_expired(rt: Runtime, clock: FakeClock) -> None:
    pos = Pos(rt, make_shop(rt, "Gift Café"))
    certificate(rt, pos, valid_days=30)
    clock.advance(days=31)
    assert stored_value_expiry.expire(rt).amount_minor == 5000
    board, direct, stored = points_figures(rt, pos.tenant_id)
    assert direct == stored == board == PointsTotals()
    assert ledger_admin.check(rt, pos.tenant_id) == []


def stamp_purchases(pos: Pos) -> None:
    """Ten coffees, the tenth free, then the receipt that completed the card voided."""
    member = pos.register(1)["id"]
    coffee = line("CAP-M", 350, category="coffee")
    for i in range(9):
        pos.commit(member, (coffee,), receipt=f"R-{i}")
    done = pos.commit(member, (coffee, coffee), receipt="R-10")
    pos.void(done["receipt"]["id"], key="void-1")


def test_stamps_added_spent_and_voided_are_no_points(rt: Runtime) -> None:
    stamped, plain = (Pos(rt, make_shop(rt, name)) for name in ("Stamp Café", "Plain Café"))
    cards.create(
        rt,
        stamped.tenant_id,
        StampCard(
            id=0,
            name="Coffee",
            categories=frozenset({"coffee"}),
            per_card=10,
            reward=Reward.FREE_ITEM,
        ),
        audit.staff(None),
    )
    for pos in (stamped, plain):
        stamp_purchases(pos)
    board, direct, stored = points_figures(rt, stamped.tenant_id)
    assert direct == stored == board
    # The points of the purchases only: as in a shop without the card.
    assert direct == points_figures(rt, plain.tenant_id)[1]
    assert ledger_admin.check(rt, stamped.tenant_id) == []


def test_the_ledger_check_reports_a_wallet_void_counted_as_points(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Wallet Café"))
    wallet_void(rt, pos)
    with rt.db.write() as conn:
        # What counting the wallet's 20.00 given back as points would have stored.
        conn.execute(
            update(sales_days)
            .where(
                sales_days.c.tenant_id == pos.tenant_id,
                sales_days.c.terminal_id == pos.shop.terminal_ids[0],
            )
            .values(points_redeemed=sales_days.c.points_redeemed - 2000)
        )
    problems = ledger_admin.check(rt, pos.tenant_id)
    assert [(p["kind"], p["counter"], p["expected"], p["stored"]) for p in problems] == [
        ("sales_day", "points_redeemed", 0, -2000)
    ]


def test_the_ledger_check_reports_an_entry_naming_another_asset(rt: Runtime) -> None:
    pos = Pos(rt, make_shop(rt, "Wallet Café"))
    wallet_void(rt, pos)
    with rt.db.write() as conn:
        [void_id] = (
            conn.execute(
                update(entries)
                .where(
                    entries.c.tenant_id == pos.tenant_id,
                    entries.c.code == "void",
                    entries.c.asset != "points",
                )
                .values(asset="points")
                .returning(entries.c.id)
            )
            .scalars()
            .all()
        )
    problems = ledger_admin.check(rt, pos.tenant_id)
    assert {"kind": "entry_asset", "entry_id": void_id} in problems
    assert ("sales_day", "points_redeemed", -2000, 0) in [
        (p["kind"], p.get("counter"), p.get("expected"), p.get("stored")) for p in problems
    ]


def test_migration_0053_takes_other_assets_off_the_aggregates(
    rt: Runtime, clock: FakeClock
) -> None:
    pos = Pos(rt, make_shop(rt, "Old Café"))
    wallet_void(rt, pos)
    code = certificate(rt, pos, valid_days=30)
    pos.void(
        paying(
            pos, None, "R-2", [Tender(kind=TenderKind.CERTIFICATE, code=code, amount_minor=1000)]
        ),
        key="void-2",
    )
    clock.advance(days=31)
    stored_value_expiry.expire(rt)
    before = points_figures(rt, pos.tenant_id)[2]
    with migrating(rt.db.engine) as (config, conn):
        command.downgrade(config, "0053-1")
        conn.commit()
        # As the rows were: the wallet's 20.00 and the certificate's 10.00 given back
        # counted as points redeemed less, its 50.00 of breakage as points expired.
        old = days.totals(conn, pos.tenant_id, date(2000, 1, 1), date(2100, 1, 1))[2]
        assert (old.issued, old.redeemed, old.expired) == (
            before.issued,
            before.redeemed - 3000,
            before.expired + 5000,
        )
        command.upgrade(config, "head")
        conn.commit()
    assert points_figures(rt, pos.tenant_id)[2] == before
    assert ledger_admin.check(rt, pos.tenant_id) == []
