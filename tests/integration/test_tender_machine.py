"""A stateful property test of the ledger over mixed tenders, beside the points machine.

:mod:`tests.integration.test_ledger_machine` follows every point through lots, holds and
debt. This machine drives receipts paid at once with points, a gift certificate, the
member's wallet and a prepaid goods account (litres of fuel), some of them selling litres
into the member's goods account as well, then full and partial refunds (and their replays),
voids, top-ups, certificate and points expiry and steps of the clock. The refund or void
that leaves nothing of a receipt takes back the litres it sold, or is refused when the
account no longer holds them.

The model keeps the balance of every certificate, wallet and goods account, and for each
receipt what each tender took and what refunds gave back. Each step predicts its answer
(success, or which error, with nothing written), and after every step, for every asset:

- the database's balance of each certificate, wallet and goods account is the model's;
- no account of a stored-value asset is negative, in debt, or holds more than it has;
- ``ledger check`` is clean (each account's balance is the sum of its postings and of its
  open lots; every entry balances; per tenant and asset, postings sum to zero);
- a refund never gives a tender back more than it paid, and a receipt refunded in full or
  voided has given each tender back exactly what it paid, once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from regulars.db.ledger.tables import accounts
from regulars.domain.catalog.products import ProductDraft
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.stored_value.certificates import SeriesTerms, Tender, TenderKind
from regulars.domain.stored_value.goods import PurchaseTerms, units_back
from regulars.errors import InvalidInput, RefundRefused, RegularsError, VoidRefused
from regulars.services.audit import audit
from regulars.services.catalog import products
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.stored_value import certificates, goods, wallets
from regulars.services.stored_value import expiry as stored_value_expiry
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.goods import Opening
from regulars.services.stored_value.goods_sales import GoodsSale
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Commit, FreshDatabases, Pos, line, set_program

CERTIFICATE_DAYS = 3  # short, so that clock steps expire some certificates
VOID_WINDOW = timedelta(minutes=30)
FUEL_PRICE_MINOR = 5500  # a litre


class Expected(Exception):
    """The model's prediction that a call fails with ``error``."""

    def __init__(self, error: type[RegularsError], why: str) -> None:
        super().__init__(f"{error.__name__}: {why}")
        self.error = error


@dataclass
class Certificate:
    code: str
    balance: int
    expires_at: datetime


@dataclass
class Member:
    id: int
    wallet: int = 0
    has_wallet: bool = False
    goods_account: int = 0
    goods_milli: int = 0


@dataclass
class Taken:
    """One tender of a receipt: ``key`` names the model's balance it came from (a
    certificate's code, ``wallet:<member>`` or ``goods:<member>``)."""

    kind: str
    key: str
    paid: int  # minor units, or thousandths of a litre for goods
    returned: int = 0


@dataclass
class Receipt:
    pk: int
    recorded_at: datetime
    quantity: list[int]
    tenders: dict[int, Taken]
    fuel_taken_milli: int
    member_id: int = 0
    sold_milli: int = 0  # litres the receipt sold into the member's goods account
    refunded: list[int] = field(default_factory=list)
    status: str = "committed"


prices = st.integers(1, 200).map(lambda n: n * 53)
extra_lines = st.lists(st.tuples(prices, st.integers(1, 3)), max_size=2).map(
    lambda items: tuple(line(f"sku-{i}", price, quantity) for i, (price, quantity)
                        in enumerate(items)))
steps = st.one_of(st.integers(1, 45).map(lambda n: timedelta(minutes=n)),
                  st.integers(1, 36).map(lambda n: timedelta(hours=n)),
                  st.integers(1, 4).map(lambda n: timedelta(days=n)))


class TenderMachine(RuleBasedStateMachine):
    def __init__(self, databases: FreshDatabases) -> None:
        super().__init__()
        self.databases = databases
        self.clock = FakeClock()
        self.rt = databases.open(self.clock)
        self.pos = Pos(self.rt, make_shop(self.rt, "Fuel and Coffee"))
        set_program(self.rt, self.pos.tenant_id, welcome_bonus_points=100, pending_days=0,
                    expire_after_days=5, debt_policy="allow_negative",
                    redeem_share_max_bp=5000, point_value_minor=100,
                    void_window_minutes=VOID_WINDOW.seconds // 60)
        self.fuel = products.create(self.rt, self.pos.tenant_id, ProductDraft(
            sku="A95", name="Petrol A-95", price_minor=FUEL_PRICE_MINOR), actor=audit.SYSTEM).id
        self.series = certificates.create_series(self.rt, self.pos.tenant_id, SeriesTerms(
            name="Gift card", min_minor=100, max_minor=100_000,
            valid_days=CERTIFICATE_DAYS), actor=audit.SYSTEM).id
        self.certificates: dict[str, Certificate] = {}
        self.members: dict[int, Member] = {}
        self.receipts: list[Receipt] = []
        self.refunds: list[tuple[int, list[tuple[int, int]] | None, str, dict[str, Any]]] = []
        self.numbers = itertools.count(1)
        for n in (1, 2):
            self.add_member(n)
        # Something to pay with from the first step; the rules add more.
        for member_id in sorted(self.members):
            self.top_up_wallet_of(self.members[member_id], 20_000)
            self.top_up_goods_of(self.members[member_id], 30_000)
        for amount in (5_000, 2_500):
            self.issue_certificate(amount)

    def teardown(self) -> None:
        self.databases.close(self.rt)

    @property
    def now(self) -> datetime:
        return self.clock.now

    def add_member(self, n: int) -> None:
        member = Member(id=self.pos.register(n)["id"])
        opened = goods.open_account(self.rt, self.pos.tenant_id, Opening(
            product_id=self.fuel, unit="l", member=MemberRef(id=member.id)), actor=audit.SYSTEM)
        member.goods_account = opened.account.id
        self.members[member.id] = member

    def draw_member(self, data: st.DataObject) -> Member:
        return self.members[data.draw(st.sampled_from(sorted(self.members)), label="member")]

    # Model balances by key

    def balance_of(self, key: str) -> int:
        kind, _, name = key.partition(":")
        if kind == "certificate":
            return self.certificates[name].balance
        member = self.members[int(name)]
        return member.wallet if kind == "wallet" else member.goods_milli

    def add_to(self, key: str, amount: int) -> None:
        kind, _, name = key.partition(":")
        if kind == "certificate":
            self.certificates[name].balance += amount
            return
        member = self.members[int(name)]
        if kind == "wallet":
            member.wallet += amount
        else:
            member.goods_milli += amount

    # Stored value in

    @rule(amount=st.integers(100, 20_000))
    def issue_certificate(self, amount: int) -> None:
        done = certificates.issue(self.rt, self.pos.tenant_id, IssueOrder(
            series_id=self.series, count=1, amount_minor=amount), actor=audit.SYSTEM)
        code = done.codes[0]
        self.certificates[code] = Certificate(
            code=code, balance=amount, expires_at=self.now + timedelta(days=CERTIFICATE_DAYS))

    @rule(data=st.data(), amount=st.integers(1, 50_000))
    def top_up_wallet(self, data: st.DataObject, amount: int) -> None:
        self.top_up_wallet_of(self.draw_member(data), amount)

    def top_up_wallet_of(self, member: Member, amount: int) -> None:
        key = f"wallet-{next(self.numbers)}"
        wallets.top_up(self.rt, self.pos.till(), MemberRef(id=member.id), amount_minor=amount,
                       paid_by=PaidBy.CARD, key=key, payload={"key": key})
        member.wallet += amount
        member.has_wallet = True

    @rule(data=st.data(), milli=st.integers(1, 60_000))
    def top_up_goods(self, data: st.DataObject, milli: int) -> None:
        self.top_up_goods_of(self.draw_member(data), milli)

    def top_up_goods_of(self, member: Member, milli: int) -> None:
        key = f"goods-{next(self.numbers)}"
        goods.top_up(self.rt, self.pos.till(), member.goods_account, PurchaseTerms(
            quantity_milli=milli, paid_minor=milli * FUEL_PRICE_MINOR // 1000),
            key=key, payload={"key": key})
        member.goods_milli += milli

    # Commits with mixed tenders

    @rule(data=st.data(), fuel_milli=st.integers(0, 40_000), extras=extra_lines,
          kinds=st.sets(st.sampled_from(["certificate", "wallet", "goods"])),
          sell_milli=st.one_of(st.just(0), st.integers(1, 20_000)))
    def commit(self, data: st.DataObject, fuel_milli: int, extras: tuple[BasketLine, ...],
               kinds: set[str], sell_milli: int) -> None:
        lines = ((line("A95", FUEL_PRICE_MINOR, quantity_milli=fuel_milli),) if fuel_milli
                 else ()) + extras
        if not lines:
            return
        member = self.draw_member(data)
        quote = self.pos.quote(member.id, lines)
        spend = data.draw(st.integers(0, quote["max_spendable_points"]), label="points")
        tenders: list[tuple[Tender, Taken]] = []
        problem: str | None = None
        goods_settles = 0
        if "goods" in kinds and fuel_milli:
            tender, taken, goods_settles, problem = self.draw_goods(data, member, lines, spend,
                                                                    fuel_milli)
            tenders.append((tender, taken))
        paid = self.pos.quote(member.id, lines, spend=spend)["paid_minor"]
        left = paid - goods_settles
        for kind in sorted(kinds - {"goods"}):
            drawn = self.draw_money(data, kind, member, left)
            if drawn is None:
                continue
            tender, taken, why = drawn
            problem = problem or why
            left -= taken.paid
            tenders.append((tender, taken))
        if left < 0:
            problem = problem or "more than the receipt's money"
        self.send(member, lines, spend, tenders, problem, sell_milli=sell_milli)

    def draw_goods(self, data: st.DataObject, member: Member, lines: tuple[BasketLine, ...],
                   spend: int, fuel_milli: int) -> tuple[Tender, Taken, int, str | None]:
        most = min(fuel_milli, member.goods_milli)
        milli = data.draw(st.one_of(st.integers(1, max(1, most)), st.integers(1, fuel_milli)),
                          label="litres")
        tender = Tender(kind=TenderKind.GOODS, account=member.goods_account,
                        quantity_milli=milli)
        taken = Taken(kind="goods", key=f"goods:{member.id}", paid=milli)
        if milli > member.goods_milli:
            return tender, taken, 0, "the goods account holds less"
        option = self.pos_quote_tenders(member, lines, spend, [tender])[0]
        assert option["could_take_milli"] == milli
        return tender, taken, int(option["could_pay_minor"]), None

    def pos_quote_tenders(self, member: Member, lines: tuple[BasketLine, ...], spend: int,
                          tenders: list[Tender]) -> list[dict[str, Any]]:
        quoted = to_json(checkout.quote(self.rt, self.pos.till(), Sale(
            member=MemberRef(id=member.id), lines=lines, points_to_spend=spend,
            tenders=tuple(tenders))))
        found: list[dict[str, Any]] = quoted["tenders"]
        return found

    def draw_money(self, data: st.DataObject, kind: str, member: Member, left: int
                   ) -> tuple[Tender, Taken, str | None] | None:
        if kind == "certificate":
            if not self.certificates:
                return None
            code = data.draw(st.sampled_from(list(self.certificates)), label="certificate")
            held, key = self.certificates[code].balance, f"certificate:{code}"
        else:
            if not member.has_wallet:
                return None  # a member who never topped up has no wallet
            code, held, key = None, member.wallet, f"wallet:{member.id}"
        amount = data.draw(st.one_of(st.integers(1, max(1, min(held, left))),
                                     st.integers(held + 1, held + 500)), label=f"{kind} amount")
        why = None
        if kind == "certificate" and self.certificates[code or ""].expires_at <= self.now:
            why = "the certificate has expired"
        elif amount > held:
            why = f"the {kind} holds less"
        tender = Tender(kind=TenderKind(kind), code=code, amount_minor=amount)
        return tender, Taken(kind=kind, key=key, paid=amount), why

    def send(self, member: Member, lines: tuple[BasketLine, ...], spend: int,
             tenders: list[tuple[Tender, Taken]], problem: str | None, *,
             sell_milli: int = 0) -> None:
        number = next(self.numbers)
        prepared = self.pos.prepare(member.id, lines, receipt=f"R-{number}", spend=spend)
        request = [t for t, _ in tenders]
        sold = (GoodsSale(sku="A95", quantity_milli=sell_milli,
                          amount_minor=sell_milli * FUEL_PRICE_MINOR // 1000),) \
            if sell_milli else ()
        payload = {**prepared.payload, "tenders": [
            {"kind": t.kind.value, "code": t.code, "account": t.account,
             "amount": t.amount_minor, "quantity_milli": t.quantity_milli} for t in request],
            "goods_sold": [[g.sku, g.quantity_milli, g.amount_minor] for g in sold]}
        commit = Commit(till=0, key=prepared.key, payload=payload, request=replace(
            prepared.request, goods_sold=sold,
            sale=replace(prepared.request.sale, tenders=tuple(request))))
        if problem is not None:
            with pytest.raises(InvalidInput):
                self.pos.send(commit)
            event(f"commit refused: {problem}")
            return
        body = self.pos.send(commit).body
        for (_, taken), answered in zip(tenders, body.get("tenders", []), strict=True):
            self.add_to(taken.key, -taken.paid)
            assert answered["kind"] == taken.kind
            if taken.kind == "goods":
                assert answered["quantity_milli"] == taken.paid
                assert answered["balance_milli"] == self.balance_of(taken.key)
            else:
                assert answered["amount_minor"] == taken.paid
                assert answered["balance_minor"] == self.balance_of(taken.key)
        if sell_milli:  # after the tenders: the commit takes them first
            member.goods_milli += sell_milli
            [answered] = body["goods_sold"]
            assert answered["balance_milli"] == member.goods_milli
            assert answered["account_id"] == member.goods_account
        self.receipts.append(Receipt(
            pk=body["receipt"]["id"], recorded_at=self.now, member_id=member.id,
            sold_milli=sell_milli,
            quantity=[ln.quantity_milli for ln in lines],
            refunded=[0 for _ in lines], fuel_taken_milli=next(
                (t.paid for _, t in tenders if t.kind == "goods"), 0),
            tenders={n: t for n, (_, t) in enumerate(tenders)}))
        event(f"commit: {'+'.join(sorted(t.kind for _, t in tenders)) or 'no tender'}"
              + (" and points" if spend else "") + (" selling litres" if sell_milli else ""))

    # Refunds and voids

    @precondition(lambda self: self.receipts)
    @rule(data=st.data(), whole=st.booleans(), void=st.booleans())
    def refund(self, data: st.DataObject, whole: bool, void: bool) -> None:
        receipt = data.draw(st.sampled_from(self.receipts), label="receipt")
        wanted: list[tuple[int, int]] | None = None
        if not whole and not void:
            line_no = data.draw(st.integers(1, len(receipt.quantity)), label="line")
            most = receipt.quantity[line_no - 1]
            wanted = [(line_no, data.draw(st.integers(1, most), label="quantity"))]
        key = f"refund-{next(self.numbers)}"
        try:
            expected = self.predict_refund(receipt, wanted, void=void)
        except Expected as exc:
            with pytest.raises(exc.error):
                self.call_refund(receipt.pk, wanted, key, void=void)
            event(f"{'void' if void else 'refund'} refused")
            return
        body = self.call_refund(receipt.pk, wanted, key, void=void)
        self.apply_refund(receipt, expected, body)
        self.refunds.append((receipt.pk, wanted, key, body))

    def call_refund(self, pk: int, wanted: list[tuple[int, int]] | None, key: str, *,
                    void: bool) -> dict[str, Any]:
        if void:
            return self.pos.void(pk, key=key)
        return self.pos.refund(pk, wanted, key=key)

    @staticmethod
    def lines_of(receipt: Receipt, wanted: list[tuple[int, int]] | None
                 ) -> list[tuple[int, int]]:
        if wanted is not None:
            return wanted
        return [(n + 1, q - r) for n, (q, r) in enumerate(
            zip(receipt.quantity, receipt.refunded, strict=True)) if q > r]

    def predict_refund(self, receipt: Receipt, wanted: list[tuple[int, int]] | None, *,
                       void: bool) -> tuple[list[int], str, int]:
        """The receipt's refunded quantities and status after, and the litres back."""
        if void and (receipt.status != "committed"
                     or self.now - receipt.recorded_at > VOID_WINDOW):
            raise Expected(VoidRefused, "not committed, or too late")
        if receipt.status in ("voided", "refunded"):
            raise Expected(RefundRefused, f"{receipt.status} receipt")
        refunded = list(receipt.refunded)
        litres = 0
        for line_no, quantity in self.lines_of(receipt, wanted):
            before = refunded[line_no - 1]
            if before + quantity > receipt.quantity[line_no - 1]:
                raise Expected(RefundRefused, "more than is left")
            refunded[line_no - 1] += quantity
            if line_no == 1 and receipt.fuel_taken_milli:
                litres += units_back(receipt.fuel_taken_milli,
                                     line_quantity_milli=receipt.quantity[0],
                                     before_milli=before, after_milli=before + quantity)
        status = ("voided" if void else
                  "refunded" if refunded == receipt.quantity else "partially_refunded")
        if status in ("voided", "refunded") and receipt.sold_milli and \
                self.members[receipt.member_id].goods_milli + litres < receipt.sold_milli:
            raise Expected(RefundRefused, "the litres sold were used")
        return refunded, status, litres

    def apply_refund(self, receipt: Receipt, expected: tuple[list[int], str, int],
                     body: dict[str, Any]) -> None:
        refunded, status, litres = expected
        assert body["refund"]["status"] == status
        money_back = 0
        for returned in body.get("tenders", []):
            taken = receipt.tenders[returned["tender_no"]]
            back = returned["quantity_milli"] if taken.kind == "goods" else \
                returned["amount_minor"]
            if taken.kind == "goods":
                assert back == litres
            else:
                money_back += back
            taken.returned += back
            assert 0 < taken.returned <= taken.paid, (taken, returned)
            self.add_to(taken.key, back)
        assert money_back <= body["refund"]["paid_minor"]
        receipt.refunded, receipt.status = refunded, status
        if status in ("refunded", "voided"):
            for taken in receipt.tenders.values():
                assert taken.returned == taken.paid, taken
            if receipt.sold_milli:
                assert body["goods_taken_back"] == 1
                self.members[receipt.member_id].goods_milli -= receipt.sold_milli
        else:
            assert "goods_taken_back" not in body
        event(f"{status}: {len(body.get('tenders', []))} tenders back")

    @precondition(lambda self: self.refunds)
    @rule(data=st.data())
    def replay_refund(self, data: st.DataObject) -> None:
        pk, wanted, key, first = data.draw(st.sampled_from(self.refunds), label="refund")
        void = first["refund"]["kind"] == "void"
        assert self.call_refund(pk, wanted, key, void=void) == first

    # Time and expiry

    @rule(step=steps, run_expiry=st.booleans())
    def advance(self, step: timedelta, run_expiry: bool) -> None:
        self.clock.advance(seconds=step.total_seconds())
        if not run_expiry:
            return
        ledger_admin.expire(self.rt)
        due = [c for c in self.certificates.values()
               if c.expires_at <= self.now and c.balance > 0]
        report = stored_value_expiry.expire(self.rt)
        assert report.amount_minor == sum(c.balance for c in due)
        for certificate in due:
            certificate.balance = 0
        event("expiry: " + ("breakage" if due else "nothing due"))

    # After every step

    @invariant()
    def every_asset_agrees_with_the_model(self) -> None:
        assert ledger_admin.check(self.rt) == []
        tenant_id = self.pos.tenant_id
        for certificate in self.certificates.values():
            view = certificates.look_up(self.rt, tenant_id, certificate.code)
            assert view.balance_minor == certificate.balance, certificate
        for member in self.members.values():
            held = goods.get_account(self.rt, tenant_id, member.goods_account).balance_milli
            assert held == member.goods_milli, member
            wallet = wallets.statement(self.rt, tenant_id, member.id)
            assert wallet.balance_minor == member.wallet, member
        with self.rt.db.read() as conn:
            rows = conn.execute(select(accounts.c.asset, accounts.c.balance, accounts.c.held,
                                       accounts.c.debt)
                                .where(accounts.c.tenant_id == tenant_id,
                                       accounts.c.system_code.is_(None))).all()
        for row in rows:
            if row.asset != "points":
                assert row.debt == 0 and 0 <= row.held <= row.balance, row
            else:
                assert row.balance >= 0 or row.debt > 0, row


CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def test_tender_machine_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    databases = FreshDatabases(workdir=tmp_path, sqlite_template=sqlite_template)
    run_state_machine_as_test(lambda: TenderMachine(databases), settings=settings(  # type: ignore[arg-type]
        max_examples=40, stateful_step_count=30, deadline=None,
        suppress_health_check=CHECKS))


@pytest.mark.postgres
def test_tender_machine_postgres(pg_migrated: str, tmp_path: Path) -> None:
    databases = FreshDatabases(workdir=tmp_path, pg_url=pg_migrated)
    run_state_machine_as_test(lambda: TenderMachine(databases), settings=settings(  # type: ignore[arg-type]
        max_examples=10, stateful_step_count=25, deadline=None,
        suppress_health_check=CHECKS))
