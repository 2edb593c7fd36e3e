"""A stateful property test of the points ledger over the real services and a real database.

Two tenants share one database: one whose program lets a refund leave a member in debt, one
that refuses such refunds. Hypothesis drives registrations, earning and spending commits
(online and offline), holds and their capture or release, voids, full and partial refunds,
expiry runs, manual adjustments, the clock, replays and calls across tenants.

Besides going through the services, the machine drives the ledger's write path
(:mod:`regulars.db.ledger.ops`) directly: earning from either system account, spending,
taking back (from a chosen lot, with or without debt), restoring what a direct spend took,
expiring per tenant, and writes of another asset into a points account (always refused).

Beside the database the test keeps its own model of every member's lots, written from the
rules the ledger documents (spend soonest-expiring first, pending periods, expiry, debt repaid
first, refunds returning points to the lots they came from, reversals from the accrual's own
lot first). Each step predicts its answer from the model (the amounts, or which error), and
after every step the database must agree with the model and reconcile on its own.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, MixedAssets, Shortfall
from regulars.db.ledger.tables import accounts, holds, lots
from regulars.domain.checkout.quote import BasketLine
from regulars.domain.ledger.assets import money
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.errors import (
    IdempotencyMismatch,
    InsufficientPoints,
    NotFound,
    RedemptionRefused,
    RefundRefused,
    RegularsError,
    VoidRefused,
)
from regulars.services.checkout import checkout
from regulars.services.checkout.idempotency import Outcome
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.results import to_json
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Commit, FreshDatabases, Pos, line, set_program

WELCOME_POINTS = 50
PENDING = timedelta(days=2)
LIFETIME = timedelta(days=30)
HOLD_TTL = timedelta(seconds=300)
VOID_WINDOW = timedelta(minutes=30)
POINT_VALUE_MINOR = 100
RATE_BP = 300
SHARE_BP = 7000
POLICIES = ("allow_negative", "refuse")
NO_EARN = "gift"  # a category that earns nothing, so a receipt can spend all and earn nothing
EUR = money("EUR")  # a second asset, which never mixes with the points


def program_rules(policy: str) -> dict[str, Any]:
    return {"welcome_bonus_points": WELCOME_POINTS, "pending_days": PENDING.days,
            "expire_after_days": LIFETIME.days, "debt_policy": policy,
            "redeem_share_max_bp": SHARE_BP, "point_value_minor": POINT_VALUE_MINOR,
            "hold_ttl_seconds": int(HOLD_TTL.total_seconds()),
            "void_window_minutes": VOID_WINDOW.seconds // 60,
            "earn_excluded_categories": [NO_EARN]}


# The model ------------------------------------------------------------------------------------

class Expected(Exception):
    """The model's prediction that a call fails with ``error``."""

    def __init__(self, error: type[RegularsError], why: str) -> None:
        super().__init__(f"{error.__name__}: {why}")
        self.error = error
        self.why = why


@dataclass
class Lot:
    seq: int  # creation order, as the database's lot ids
    remaining: int
    available_at: datetime
    expires_at: datetime
    expired: int = 0  # taken by expiry runs


@dataclass
class Member:
    id: int
    tenant: int
    lots: dict[int, Lot] = field(default_factory=dict)
    debt: int = 0

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots.values()) - self.debt

    def usable(self, now: datetime) -> list[Lot]:
        """Spendable lots, soonest to expire first."""
        return sorted((lot for lot in self.lots.values()
                       if lot.remaining > 0 and lot.available_at <= now < lot.expires_at),
                      key=lambda lot: (lot.expires_at, lot.seq))

    def open_lots(self) -> list[tuple[int, datetime, datetime]]:
        return sorted((lot.remaining, lot.available_at, lot.expires_at)
                      for lot in self.lots.values() if lot.remaining > 0)


@dataclass
class Hold:
    id: int
    member: int
    till: int
    points: int
    expires_at: datetime
    lines: tuple[BasketLine, ...]
    status: str = "open"

    def live(self, now: datetime) -> bool:
        return self.status == "open" and self.expires_at > now


@dataclass
class Receipt:
    pk: int
    tenant: int
    member: int
    recorded_at: datetime
    quantity: list[int]
    earned: list[int]
    spent: list[int]
    paid: list[int]
    spend_moves: list[tuple[int, int]]
    origin: int | None
    refunded: list[int] = field(default_factory=list)
    restored: dict[int, int] = field(default_factory=dict)
    forgiven: int = 0
    status: str = "committed"


def share(total: int, before: int, after: int, whole: int) -> int:
    """What refunding ``before``..``after`` of ``whole`` carries of ``total``, cumulatively."""
    def upto(part: int) -> int:
        return total if part == whole else total * part // whole
    return upto(after) - upto(before)


def limit_points(lines: tuple[BasketLine, ...], spendable: int) -> int:
    """Most points a receipt may spend: the spendable balance, 70 % of the bill, whole
    points."""
    if spendable < 1:
        return 0
    amounts = [ln.gross_minor for ln in lines]
    by_share = sum(amounts) * SHARE_BP // 10_000 // POINT_VALUE_MINOR
    by_lines = sum(a // POINT_VALUE_MINOR for a in amounts)
    return max(0, min(spendable, by_share, by_lines))


class Ledger:
    """The model's bookkeeping: lots, debt and holds of every member."""

    def __init__(self) -> None:
        self.members: dict[int, Member] = {}
        self.holds: list[Hold] = []
        self._seq = itertools.count(1)

    def live_held(self, member: Member, now: datetime) -> int:
        return sum(h.points for h in self.holds if h.member == member.id and h.live(now))

    def spendable(self, member: Member, now: datetime) -> int:
        usable = sum(lot.remaining for lot in member.usable(now))
        return max(0, usable - self.live_held(member, now) - member.debt)

    def credit(self, member: Member, points: int, *, available_at: datetime,
               expires_at: datetime) -> int | None:
        repaid = min(member.debt, points)
        member.debt -= repaid
        if points == repaid:
            return None
        seq = next(self._seq)
        member.lots[seq] = Lot(seq=seq, remaining=points - repaid, available_at=available_at,
                               expires_at=expires_at)
        return seq

    @staticmethod
    def spend(member: Member, points: int, now: datetime) -> list[tuple[int, int]]:
        taken, left = [], points
        for lot in member.usable(now):
            part = min(left, lot.remaining)
            lot.remaining -= part
            taken.append((lot.seq, part))
            left -= part
            if left == 0:
                return taken
        raise AssertionError("the model spent more than the member's usable lots")

    def restore(self, member: Member, moves: list[tuple[int, int]], now: datetime) -> None:
        """Return points, debt first, to the lots they came from; the share of a lot that has
        expired since goes into one fresh lot, spendable now, with a full lifetime."""
        skip = repaid = min(member.debt, sum(points for _, points in moves))
        member.debt -= repaid
        fresh = 0
        for seq, points in moves:
            skipped = min(skip, points)
            skip -= skipped
            back = points - skipped
            if back and member.lots[seq].expires_at <= now:
                fresh += back
            elif back:
                member.lots[seq].remaining += back
        if fresh:
            seq = next(self._seq)
            member.lots[seq] = Lot(seq=seq, remaining=fresh, available_at=now,
                                   expires_at=now + LIFETIME)

    @staticmethod
    def take_back(member: Member, points: int, origin: int | None, now: datetime, *,
                  allow_debt: bool, error: type[RegularsError]) -> int:
        """Take back from the accrual's own lot, then unexpired lots soonest-expiring first,
        then (if allowed) as debt; returns the debt."""
        pool = sorted((lot for lot in member.lots.values()
                       if lot.remaining > 0 and lot.expires_at > now),
                      key=lambda lot: (lot.seq != origin, lot.expires_at, lot.seq))
        left = points
        for lot in pool:
            part = min(left, lot.remaining)
            lot.remaining -= part
            left -= part
        if left and not allow_debt:
            raise Expected(error, "the points were spent")
        member.debt += left
        return left

    def expire(self, now: datetime, tenant: int | None = None) -> ledger_admin.ExpiryReport:
        due_lots = due_points = entries = 0
        for member in self.members.values():
            if tenant is not None and member.tenant != tenant:
                continue
            due = [lot for lot in member.lots.values()
                   if lot.remaining > 0 and lot.expires_at <= now]
            if due:
                entries += 1
                due_lots += len(due)
                due_points += sum(lot.remaining for lot in due)
                for lot in due:
                    lot.expired += lot.remaining
                    lot.remaining = 0
        return ledger_admin.ExpiryReport(lots=due_lots, points=due_points, entries=entries)


def lines_to_refund(receipt: Receipt, wanted: list[tuple[int, int]] | None
                    ) -> list[tuple[int, int]]:
    """(line number, quantity) to refund, in line order: every line's rest when ``wanted`` is
    ``None``, else the lines asked for, merged."""
    count = len(receipt.quantity)
    if wanted is None:
        todo = [(n, receipt.quantity[n - 1] - receipt.refunded[n - 1])
                for n in range(1, count + 1)]
        return [(n, q) for n, q in todo if q > 0]
    merged: dict[int, int] = {}
    for line_no, quantity in wanted:
        if line_no > count:
            raise Expected(RefundRefused, "no such line")
        merged[line_no] = merged.get(line_no, 0) + quantity
    return sorted(merged.items())


def restorable(receipt: Receipt, points: int) -> list[tuple[int, int]]:
    """Lots a refund returns ``points`` to: those the spend took from, less what earlier
    refunds returned, latest-taken first."""
    left: dict[int, int] = {}
    for seq, part in receipt.spend_moves:
        left[seq] = left.get(seq, 0) + part
    for seq, back in receipt.restored.items():
        left[seq] -= back
    moves, need = [], points
    for seq in reversed(list(left)):
        part = min(need, max(0, left[seq]))
        if part:
            moves.append((seq, part))
            need -= part
    assert need == 0, "the model cannot match a refund to the spend's lots"
    return moves


# Strategies -----------------------------------------------------------------------------------

prices = st.integers(1, 300).map(lambda n: n * 97)
baskets = st.lists(st.tuples(prices, st.integers(1, 4)), min_size=1, max_size=3).map(
    lambda items: tuple(line(f"sku-{i}", price, quantity)
                        for i, (price, quantity) in enumerate(items)))
steps = st.one_of(st.integers(1, 45).map(lambda n: timedelta(minutes=n)),
                  st.integers(1, 36).map(lambda n: timedelta(hours=n)),
                  st.integers(1, 45).map(lambda n: timedelta(days=n)))


def spend_of(limit: int) -> st.SearchStrategy[int]:
    """Nothing, something allowed, the most allowed, or too much (to be refused)."""
    return st.one_of(st.just(0), st.integers(0, limit), st.just(limit),
                     st.integers(limit + 1, limit + 30))


# The machine ----------------------------------------------------------------------------------

class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, databases: FreshDatabases) -> None:
        super().__init__()
        self.databases = databases
        self.clock = FakeClock()
        self.rt = databases.open(self.clock)
        self.pos = [Pos(self.rt, make_shop(self.rt, name))
                    for name in ("Allow Café", "Refuse Bakery")]
        for pos, policy in zip(self.pos, POLICIES, strict=True):
            set_program(self.rt, pos.tenant_id, **program_rules(policy))
            with self.rt.db.write() as conn:
                ledger_ops.open_system_accounts(conn, pos.tenant_id, asset=EUR)
        self.model = Ledger()
        self.direct_spends: list[tuple[int, list[tuple[int, int]]]] = []  # member, lots taken
        self.phones: dict[tuple[int, int], int] = {}
        self.receipts: list[Receipt] = []
        self.commits: list[tuple[int, Commit, dict[str, Any]]] = []  # tenant, call, answer
        self.refunds: list[tuple[int, Callable[[], Outcome], dict[str, Any]]] = []
        self.numbers = itertools.count(1)

    def teardown(self) -> None:
        self.databases.close(self.rt)

    @property
    def now(self) -> datetime:
        return self.clock.now

    def draw_member(self, data: st.DataObject) -> Member:
        member_id = data.draw(st.sampled_from(sorted(self.model.members)), label="member")
        return self.model.members[member_id]

    def draw_receipt(self, data: st.DataObject) -> Receipt:
        """Mostly a receipt with something left to refund; now and then any receipt."""
        pool = [r for r in self.receipts if r.status in ("committed", "partially_refunded")]
        if not pool or data.draw(st.integers(0, 4), label="any receipt") == 0:
            pool = self.receipts
        return data.draw(st.sampled_from(pool), label="receipt")

    def check_member_body(self, body: dict[str, Any], member: Member) -> None:
        assert body["balance_points"] == member.balance
        assert body["spendable_points"] == self.model.spendable(member, self.now)

    # Registration and adjustments

    @initialize(phones=st.lists(st.integers(0, 6), min_size=1, max_size=2, unique=True))
    def first_members(self, phones: list[int]) -> None:
        for tenant in (0, 1):
            for n in phones:
                self.register(tenant, n)

    @rule(tenant=st.integers(0, 1), n=st.integers(0, 6))
    def register(self, tenant: int, n: int) -> None:
        view = self.pos[tenant].register(n)
        known = self.phones.get((tenant, n))
        if known is not None:  # the same phone again: the same member, no second bonus
            assert view["id"] == known
            self.check_member_body(view, self.model.members[known])
            return
        assert view["id"] not in self.model.members
        member = Member(id=view["id"], tenant=tenant)
        self.model.members[member.id] = member
        self.phones[(tenant, n)] = member.id
        self.model.credit(member, WELCOME_POINTS, available_at=self.now,
                          expires_at=self.now + LIFETIME)
        self.check_member_body(view, member)

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), points=st.integers(-150, 150).filter(bool))
    def adjust(self, data: st.DataObject, points: int) -> None:
        member = self.draw_member(data)
        after = copy.deepcopy(member)
        expected: type[RegularsError] | None = None
        try:
            if points > 0:
                self.model.credit(after, points, available_at=self.now,
                                  expires_at=self.now + LIFETIME)
            else:
                self.model.take_back(after, -points, None, self.now, allow_debt=False,
                                     error=InsufficientPoints)
        except Expected as exc:
            expected = exc.error
        try:
            view = member_ledger.adjust(self.rt, self.pos[member.tenant].tenant_id, member.id,
                                        points=points, reason="machine",
                                        key=f"adjust-{next(self.numbers)}")
        except RegularsError as exc:
            assert expected is not None and isinstance(exc, expected), exc
            event(f"adjust: {type(exc).__name__}")
            return
        assert expected is None, f"expected {expected}"
        event("adjust: " + ("added" if points > 0 else "taken"))
        self.model.members[member.id] = after
        body = to_json(view)  # the member as the API answers it
        assert body["debt_points"] == after.debt
        self.check_member_body(body, after)

    # Commits and holds

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), lines=baskets,
          hours_ago=st.sampled_from([0, 0, 0, 1, 5, 30, 47]))
    def commit(self, data: st.DataObject, lines: tuple[BasketLine, ...],
               hours_ago: int) -> None:
        member = self.draw_member(data)
        pos = self.pos[member.tenant]
        limit = limit_points(lines, self.model.spendable(member, self.now))
        quote = pos.quote(member.id, lines)
        assert quote["max_spendable_points"] == limit
        self.check_member_body(quote["member"], member)
        spend = data.draw(spend_of(limit), label="spend")
        at = self.now - timedelta(hours=hours_ago) if hours_ago else None
        self.send_commit(data, member, lines, spend=spend, at=at, hold=None)

    @precondition(lambda self: self.model.members)
    @rule(data=st.data())
    def spend_all(self, data: st.DataObject) -> None:
        """Pay a receipt of gifts (which earn nothing) with every spendable point: what a
        later refund of an earning receipt must then take back is debt, or refused."""
        member = self.draw_member(data)
        points = self.model.spendable(member, self.now)
        price = max(1, -(-points * POINT_VALUE_MINOR * 10_000 // SHARE_BP))
        lines = (line("gift card", price, category=NO_EARN),)
        assert limit_points(lines, points) == points
        self.send_commit(data, member, lines, spend=points, at=None, hold=None)

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), lines=baskets, till=st.integers(0, 1))
    def hold(self, data: st.DataObject, lines: tuple[BasketLine, ...], till: int) -> None:
        member = self.draw_member(data)
        limit = limit_points(lines, self.model.spendable(member, self.now))
        spend = data.draw(st.integers(1, limit + 5), label="hold points")
        try:
            quote = self.pos[member.tenant].quote(member.id, lines, spend=spend, hold=True,
                                                  till=till)
        except RedemptionRefused:
            assert spend > limit
            event("hold: RedemptionRefused")
            return
        assert spend <= limit
        event("hold: placed")
        self.model.holds.append(Hold(id=quote["hold"]["id"], member=member.id, till=till,
                                     points=spend, expires_at=self.now + HOLD_TTL,
                                     lines=lines))

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def capture(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(self.model.holds), label="hold")
        spend = data.draw(st.sampled_from(
            [hold.points, hold.points, hold.points - 1, 0, hold.points + 1]), label="spend")
        self.send_commit(data, self.model.members[hold.member], hold.lines, spend=spend,
                         at=None, hold=hold)

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(self.model.holds), label="hold")
        pos = self.pos[self.model.members[hold.member].tenant]
        checkout.release_hold(self.rt, pos.till(hold.till), hold.id)
        if hold.status == "open":
            hold.status = "released"

    def send_commit(self, data: st.DataObject, member: Member, lines: tuple[BasketLine, ...],
                    *, spend: int, at: datetime | None, hold: Hold | None) -> None:
        pos = self.pos[member.tenant]
        number = f"R{next(self.numbers)}"
        prepared = pos.prepare(member.id, lines, receipt=number, spend=spend,
                               hold_id=hold.id if hold else None, occurred_at=at,
                               till=data.draw(st.integers(0, 1), label="till"))

        # What the model expects.
        now = self.now
        captured = hold.points if hold is not None and hold.live(now) else 0
        usable = sum(lot.remaining for lot in member.usable(now))
        held = self.model.live_held(member, now)
        limit = limit_points(lines, max(0, usable - held - member.debt) + captured)
        expected: type[RegularsError] | None = None
        if spend > limit:
            expected = RedemptionRefused
        elif spend and usable - spend < held - min(captured, spend) + member.debt:
            expected = InsufficientPoints  # the spendable points are reserved by other holds

        kind = "capture" if hold else ("offline commit" if at else "commit")
        try:
            outcome = pos.send(prepared)
        except RegularsError as exc:
            assert expected is not None and isinstance(exc, expected), exc
            event(f"{kind}: {type(exc).__name__}")
            return
        assert expected is None, f"expected {expected.__name__}"
        event(f"{kind}: " + ("live hold" if captured else "spent" if spend else "earned only"))
        assert not outcome.replayed
        body = outcome.body

        figures = body["lines"]
        gross = sum(ln.gross_minor for ln in lines)
        paid = gross - spend * POINT_VALUE_MINOR
        basis = sum(figure["paid_minor"] for figure, ln in zip(figures, lines, strict=True)
                    if ln.category != NO_EARN)
        earned = basis * RATE_BP // (10_000 * POINT_VALUE_MINOR)
        assert (body["points_spent"], body["paid_minor"], body["points_earned"]) == (
            spend, paid, earned)
        assert sum(ln["points_spent"] for ln in figures) == spend
        assert sum(ln["points_earned"] for ln in figures) == earned
        assert sum(ln["paid_minor"] for ln in figures) == paid
        assert body["receipt"]["occurred_at"] == (at or now).isoformat()

        moves = self.model.spend(member, spend, now) if spend else []
        if captured:
            assert hold is not None
            hold.status = "captured"
        accrued_at = at or now
        origin = self.model.credit(member, earned, available_at=accrued_at + PENDING,
                                   expires_at=accrued_at + LIFETIME) if earned else None
        self.check_member_body(body["member"], member)
        self.receipts.append(Receipt(
            pk=body["receipt"]["id"], tenant=member.tenant, member=member.id, recorded_at=now,
            quantity=[ln.quantity_milli for ln in lines],
            earned=[ln["points_earned"] for ln in figures],
            spent=[ln["points_spent"] for ln in figures],
            paid=[ln["paid_minor"] for ln in figures], spend_moves=moves, origin=origin,
            refunded=[0] * len(lines)))
        self.commits.append((member.tenant, prepared, body))

    # Refunds and voids

    @precondition(lambda self: self.receipts)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        receipt = self.draw_receipt(data)
        wanted: list[tuple[int, int]] | None = None
        if data.draw(st.booleans(), label="some lines"):
            wanted = []
            for _ in range(data.draw(st.integers(1, 2), label="how many lines")):
                line_no = data.draw(st.integers(1, len(receipt.quantity) + 1), label="line")
                index = min(line_no, len(receipt.quantity)) - 1
                left = receipt.quantity[index] - receipt.refunded[index]
                whole = receipt.quantity[index]
                quantity = data.draw(st.one_of(
                    st.just(max(left, 1)), st.integers(1, max(left, 1)), st.integers(1, whole)),
                    label="quantity")
                wanted.append((line_no, quantity))
        self.send_refund(receipt, wanted, void=False)

    @precondition(lambda self: self.receipts)
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        receipt = self.draw_receipt(data)
        self.send_refund(receipt, None, void=True)

    def send_refund(self, receipt: Receipt, wanted: list[tuple[int, int]] | None, *,
                    void: bool) -> None:
        pos = self.pos[receipt.tenant]
        key = f"refund-{next(self.numbers)}"
        if void:
            payload: dict[str, Any] = {"receipt": receipt.pk, "void": True}
        else:
            payload = {"receipt": receipt.pk, "lines": None if wanted is None else [
                {"line_no": n, "quantity_milli": q} for n, q in wanted]}

        def call() -> Outcome:
            return checkout.refund(self.rt, pos.till(), receipt.pk, wanted, key=key,
                                   payload=payload, void=void)

        after_receipt = copy.deepcopy(receipt)
        after_member = copy.deepcopy(self.model.members[receipt.member])
        try:
            expected = self.model_refund(after_receipt, after_member, wanted, void=void)
        except Expected as exc:
            with pytest.raises(exc.error):
                call()
            event(f"{'void' if void else 'refund'}: {exc}")
            return
        outcome = call()
        assert not outcome.replayed
        body = outcome.body
        refund = body["refund"]
        assert {name: refund[name] for name in expected} == expected
        event(f"{'void' if void else 'refund'}: {expected['status']}"
              + (" with debt" if expected["debt_points"] else ""))
        self.receipts[self.receipts.index(receipt)] = after_receipt
        self.model.members[receipt.member] = after_member
        assert body["balance_points"] == after_member.balance
        self.refunds.append((receipt.tenant, call, body))

    def model_refund(self, receipt: Receipt, member: Member,
                     wanted: list[tuple[int, int]] | None, *, void: bool) -> dict[str, Any]:
        now = self.now
        if void:
            if receipt.status != "committed":
                raise Expected(VoidRefused, f"{receipt.status} receipt")
            if now - receipt.recorded_at > VOID_WINDOW:
                raise Expected(VoidRefused, "too late")
        elif receipt.status in ("voided", "refunded"):
            raise Expected(RefundRefused, f"{receipt.status} receipt")
        earned = spent = paid = 0
        for line_no, quantity in lines_to_refund(receipt, wanted):
            i = line_no - 1
            before, whole = receipt.refunded[i], receipt.quantity[i]
            if before + quantity > whole:
                raise Expected(RefundRefused, "more than is left")
            receipt.refunded[i] += quantity
            earned += share(receipt.earned[i], before, before + quantity, whole)
            spent += share(receipt.spent[i], before, before + quantity, whole)
            paid += share(receipt.paid[i], before, before + quantity, whole)
        debt = forgiven = 0
        if spent:
            moves = restorable(receipt, spent)
            self.model.restore(member, moves, now)
            for seq, points in moves:
                receipt.restored[seq] = receipt.restored.get(seq, 0) + points
        if earned and receipt.origin is not None:
            # Earned points lost to expiry already are forgiven, once.
            origin = member.lots[receipt.origin]
            gone = origin.expired + (origin.remaining if origin.expires_at <= now else 0)
            forgiven = min(earned, max(0, gone - receipt.forgiven))
            receipt.forgiven += forgiven
        if earned - forgiven:
            debt = self.model.take_back(
                member, earned - forgiven, receipt.origin, now,
                allow_debt=POLICIES[receipt.tenant] == "allow_negative", error=RefundRefused)
        if void:
            receipt.status = "voided"
        elif receipt.refunded == receipt.quantity:
            receipt.status = "refunded"
        else:
            receipt.status = "partially_refunded"
        return {"points_reversed": earned - forgiven, "points_returned": spent,
                "points_forgiven": forgiven, "paid_minor": paid, "debt_points": debt,
                "status": receipt.status}

    # The write path, directly

    def context(self, member: Member) -> EntryContext:
        return EntryContext(tenant_id=self.pos[member.tenant].tenant_id, member_id=member.id,
                            occurred_at=self.now, recorded_at=self.now)

    def account_of(self, member: Member) -> int:
        with self.rt.db.read() as conn:
            return ledger_ops.account_state(conn, self.pos[member.tenant].tenant_id,
                                            member.id).id

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), amount=st.integers(1, 200), pending=st.booleans(),
          source=st.sampled_from([SystemAccount.ISSUED, SystemAccount.ADJUSTED]))
    def earn_directly(self, data: st.DataObject, amount: int, pending: bool,
                      source: SystemAccount) -> None:
        member = self.draw_member(data)
        account_id = self.account_of(member)
        available_at = self.now + (PENDING if pending else timedelta())
        with self.rt.db.write() as conn:
            ledger_ops.earn(conn, self.context(member), key=f"direct-{next(self.numbers)}",
                            account_id=account_id, amount=amount, available_at=available_at,
                            expires_at=self.now + LIFETIME, memo={}, source=source,
                            code=EntryCode.EVENT)
        self.model.credit(member, amount, available_at=available_at,
                          expires_at=self.now + LIFETIME)
        event("direct: earned")

    @precondition(lambda self: self.model.members)
    @rule(data=st.data())
    def spend_directly(self, data: st.DataObject) -> None:
        member = self.draw_member(data)
        spendable = self.model.spendable(member, self.now)
        amount = data.draw(st.integers(1, spendable + 20), label="amount")
        account_id = self.account_of(member)
        try:
            with self.rt.db.write() as conn:
                ledger_ops.spend(conn, self.context(member), key=f"direct-{next(self.numbers)}",
                                 account_id=account_id, amount=amount, now=self.now, memo={})
        except Shortfall:
            assert amount > spendable
            event("direct: spend refused")
            return
        assert amount <= spendable
        self.direct_spends.append((member.id, self.model.spend(member, amount, self.now)))
        event("direct: spent")

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), amount=st.integers(1, 150), allow_debt=st.booleans())
    def reverse_directly(self, data: st.DataObject, amount: int, allow_debt: bool) -> None:
        member = self.draw_member(data)
        allow_debt = allow_debt and POLICIES[member.tenant] == "allow_negative"
        origin = data.draw(st.sampled_from([None, *sorted(member.lots)]), label="origin")
        after = copy.deepcopy(member)
        try:
            self.model.take_back(after, amount, origin, self.now, allow_debt=allow_debt,
                                 error=InsufficientPoints)
            refused = False
        except Expected:
            refused = True
        account_id = self.account_of(member)
        try:
            with self.rt.db.write() as conn:
                done = ledger_ops.reverse(
                    conn, self.context(member), key=f"direct-{next(self.numbers)}",
                    account_id=account_id, amount=amount, now=self.now, origin_lot_id=origin,
                    allow_debt=allow_debt, memo={}, code=EntryCode.REFERRAL_REVERSAL)
        except Shortfall:
            assert refused
            event("direct: reversal refused")
            return
        assert not refused
        assert done.debt == after.debt - member.debt
        self.model.members[member.id] = after
        event("direct: reversed" + (" into debt" if done.debt else ""))

    @precondition(lambda self: self.direct_spends)
    @rule(data=st.data())
    def restore_directly(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.direct_spends) - 1), label="spend")
        member_id, taken = self.direct_spends.pop(index)
        member = self.model.members[member_id]
        moves = list(reversed(taken))  # latest-taken first, as a refund returns them
        with self.rt.db.write() as conn:
            ledger_ops.restore(conn, self.context(member), key=f"direct-{next(self.numbers)}",
                               account_id=self.account_of(member), moves=moves, now=self.now,
                               fresh_expires_at=self.now + LIFETIME, memo={},
                               code=EntryCode.REFUND_SPEND)
        self.model.restore(member, moves, self.now)
        event("direct: restored")

    @rule(tenant=st.integers(0, 1))
    def expire_directly(self, tenant: int) -> None:
        expected = self.model.expire(self.now, tenant)
        with self.rt.db.write() as conn:
            done = ledger_ops.expire(conn, self.pos[tenant].tenant_id, after=0,
                                     upto=ledger_ops.LAST_ACCOUNT, now=self.now)
        assert ledger_admin.ExpiryReport(*done) == expected

    @precondition(lambda self: self.model.members)
    @rule(data=st.data(), write=st.sampled_from(["earn", "spend"]))
    def other_asset_is_refused(self, data: st.DataObject, write: str) -> None:
        member = self.draw_member(data)
        account_id = self.account_of(member)
        with pytest.raises(MixedAssets), self.rt.db.write() as conn:
            if write == "earn":
                ledger_ops.earn(conn, self.context(member), key=f"direct-{next(self.numbers)}",
                                account_id=account_id, amount=10, available_at=self.now,
                                expires_at=None, memo={}, asset=EUR)
            else:
                ledger_ops.spend(conn, self.context(member),
                                 key=f"direct-{next(self.numbers)}", account_id=account_id,
                                 amount=1, now=self.now, memo={}, asset=EUR)

    # Time and expiry

    @rule(step=steps, run_expiry=st.booleans())
    def advance(self, step: timedelta, run_expiry: bool) -> None:
        self.clock.advance(seconds=step.total_seconds())
        if run_expiry:
            self.expire()

    def expire(self) -> None:
        expected = self.model.expire(self.now)
        assert ledger_admin.expire(self.rt) == expected
        event("expire: " + ("some points" if expected.points else "nothing due"))
        assert ledger_admin.expire(self.rt) == ledger_admin.ExpiryReport(0, 0, 0)

    # Replays and other tenants

    @precondition(lambda self: self.commits)
    @rule(data=st.data(), how=st.sampled_from(["same key", "new key", "other body"]))
    def replay_commit(self, data: st.DataObject, how: str) -> None:
        tenant, prepared, first = data.draw(st.sampled_from(self.commits), label="commit")
        pos = self.pos[tenant]
        if how == "other body":
            changed = dataclasses.replace(prepared, payload={
                **prepared.payload, "points_to_spend": prepared.payload["points_to_spend"] + 1})
            with pytest.raises(IdempotencyMismatch):
                pos.send(changed)
            return
        key = prepared.key if how == "same key" else f"again-{next(self.numbers)}"
        outcome = pos.send(prepared, key=key)
        assert outcome.replayed
        assert outcome.body == first

    @precondition(lambda self: self.refunds)
    @rule(data=st.data())
    def replay_refund(self, data: st.DataObject) -> None:
        _, call, first = data.draw(st.sampled_from(self.refunds), label="refund")
        outcome = call()
        assert outcome.replayed
        assert outcome.body == first

    @precondition(lambda self: self.receipts)
    @rule(data=st.data(), lines=baskets)
    def other_tenant(self, data: st.DataObject, lines: tuple[BasketLine, ...]) -> None:
        receipt = data.draw(st.sampled_from(self.receipts), label="receipt")
        other = self.pos[1 - receipt.tenant]
        number = next(self.numbers)
        with pytest.raises(NotFound):
            other.refund(receipt.pk, key=f"foreign-{number}")
        with pytest.raises(NotFound):
            other.commit(receipt.member, lines, receipt=f"F{number}")
        with pytest.raises(NotFound):
            member_ledger.adjust(self.rt, other.tenant_id, receipt.member, points=10, reason="x",
                                 key=f"foreign-{number}")

    # After every step

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        assert ledger_admin.check(self.rt) == []
        now = self.now
        with self.rt.db.read() as conn:
            cached = {r.member_id: (r.balance, r.debt) for r in conn.execute(
                select(accounts.c.member_id, accounts.c.balance, accounts.c.debt)
                .where(accounts.c.member_id.is_not(None)))}
            open_lots: dict[int, list[tuple[int, datetime, datetime]]] = {}
            for r in conn.execute(
                    select(accounts.c.member_id, lots.c.remaining, lots.c.available_at,
                           lots.c.expires_at)
                    .join(accounts, accounts.c.id == lots.c.account_id)
                    .where(lots.c.remaining > 0)):
                open_lots.setdefault(r.member_id, []).append(
                    (r.remaining, r.available_at, r.expires_at))
            live = {r.member_id: int(r.points) for r in conn.execute(
                select(accounts.c.member_id, func.sum(holds.c.points).label("points"))
                .join(accounts, accounts.c.id == holds.c.account_id)
                .where(holds.c.status == "open", holds.c.expires_at > now)
                .group_by(accounts.c.member_id))}
        assert set(cached) == set(self.model.members)
        for member in self.model.members.values():
            balance, debt = cached[member.id]
            assert (balance, debt) == (member.balance, member.debt), member.id
            assert balance >= 0 or (debt > 0 and POLICIES[member.tenant] == "allow_negative")
            if POLICIES[member.tenant] == "refuse":
                assert debt == 0
            assert sorted(open_lots.get(member.id, [])) == member.open_lots(), member.id
            assert live.get(member.id, 0) == self.model.live_held(member, now), member.id


CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# run_state_machine_as_test takes any callable that returns a machine (its annotation says a
# class): each example gets a machine, and with it a fresh database.


def test_ledger_machine_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    databases = FreshDatabases(workdir=tmp_path, sqlite_template=sqlite_template)
    run_state_machine_as_test(lambda: LedgerMachine(databases), settings=settings(  # type: ignore[arg-type]
        max_examples=60, stateful_step_count=40, deadline=None,
        suppress_health_check=CHECKS))


@pytest.mark.postgres
def test_ledger_machine_postgres(pg_migrated: str, tmp_path: Path) -> None:
    databases = FreshDatabases(workdir=tmp_path, pg_url=pg_migrated)
    run_state_machine_as_test(lambda: LedgerMachine(databases), settings=settings(  # type: ignore[arg-type]
        max_examples=15, stateful_step_count=30, deadline=None,
        suppress_health_check=CHECKS))
