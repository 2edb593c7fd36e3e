"""A year of the demo café's trade, played event by event.

:class:`Simulation` registers customers, commits receipts (quoting first when points are
spent), voids and refunds a few, and runs the expiry job at each month boundary, all at the
times a settable clock says. Receipts that nothing later needs an answer from are handed to
:class:`~regulars.services.demo.bulk.BulkReceipts`; the rest go through the services. Its
randomness comes from one seeded generator, so a build is reproducible."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from regulars.domain.checkout.quote import QUANTITY_SCALE, BasketLine
from regulars.errors import InvalidPhone
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout import commit as checkout_commit
from regulars.services.checkout.commit import CommitRequest
from regulars.services.checkout.pricing import Sale
from regulars.services.demo import bulk
from regulars.services.demo.bulk import BulkReceipts
from regulars.services.demo.catalog import (
    ANONYMOUS_PER_STORE_DAY,
    BACK_OFFICE,
    BASKETS,
    COMMUTER_DAYS,
    CURRENCY,
    DAYS,
    FIRST_NAMES,
    LAST_NAMES,
    LEISURE_DAYS,
    LOCALE,
    MILKS,
    NAME,
    OFFICE,
    OFFICES,
    PERSONAS,
    PHONE_REGION,
    PROGRAM,
    REFUND_SHARE,
    SEASON,
    STORES,
    TIMEZONE,
    VOID_SHARE,
    Item,
    Persona,
)
from regulars.services.demo.dishonest import DishonestCashier
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members import members as member_service
from regulars.services.members import registration as member_registration
from regulars.services.members.members import MemberRef
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.tenancy.api_keys import Principal, authenticate

Progress = Callable[[int, int], None]


@dataclass
class SettableClock:
    """The build's clock: the simulation sets ``now`` before each event."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class _Till:
    principal: Principal
    code: str
    store: int
    receipts: int = 0


@dataclass
class _Customer:
    persona: Persona
    phones: tuple[str, ...]  # how the customer says the number: national, compact, +353
    home_store: int
    redeemer: bool
    registration: Registration
    member_id: int | None = None
    qr: str | None = None
    balance_points: int = 0


@dataclass(frozen=True)
class _Sold:
    receipt_id: int
    till: int
    customer: int | None
    lines: tuple[BasketLine, ...]
    points_spent: int


@dataclass(frozen=True)
class _Event:
    kind: str  # visit, sign-up, void, refund, expire
    customer: int | None = None
    store: int = 0
    sold: _Sold | None = None


@dataclass
class Simulation:
    rt: Runtime
    clock: SettableClock
    rng: random.Random
    first_day: date
    end: datetime
    zone: ZoneInfo
    tenant_id: int = 0
    tills: list[_Till] = field(default_factory=list)
    cashiers: list[list[int]] = field(default_factory=list)
    customers: list[_Customer] = field(default_factory=list)
    registered: list[int] = field(default_factory=list)
    queue: list[tuple[datetime, int, _Event]] = field(default_factory=list)
    planned: int = 0
    pushed: int = 0
    staff: dict[str, int] = field(default_factory=dict)
    dishonest: DishonestCashier | None = None
    in_bulk: bool = True
    """Whether plain receipts are written in bulk (False: every one through the till's
    commit, as a comparison for the benchmark)."""
    bulk: BulkReceipts = field(init=False)

    def open_business(self) -> None:
        """Tenant, stores, two tills each, staff. The first owner key is never shown, so it is
        revoked at once; :func:`issue_keys` makes the ones people see."""
        created = tenants.create_tenant(self.rt, name=NAME, currency=CURRENCY, locale=LOCALE,
                                        timezone=TIMEZONE, phone_region=PHONE_REGION,
                                        program=PROGRAM)
        self.tenant_id = created.tenant_id
        tenants.revoke_key(self.rt, self.tenant_id,
                           authenticate(self.rt, created.owner_key).key_id, actor=audit.SYSTEM)
        for index, (code, name, cashiers) in enumerate(STORES):
            store = tenants.create_store(self.rt, self.tenant_id, code=code, name=name,
                                         actor=audit.SYSTEM)
            for n in (1, 2):
                till = tenants.create_terminal(self.rt, self.tenant_id, store_id=store.id,
                                               code=f"{code}-{n}", name=f"{name} till {n}",
                                               actor=audit.SYSTEM)
                self.tills.append(_Till(authenticate(self.rt, till.key), till.code, index))
            self.cashiers.append([self._staff(person, "cashier", store.id)
                                  for person in cashiers])
        for person, role in BACK_OFFICE:
            self._staff(person, role, None)
        self.bulk = BulkReceipts(self.rt, self.tenant_id, self.zone)
        self.bulk.open()

    def _staff(self, person: str, role: str, store_id: int | None) -> int:
        email = person.lower().replace(" ", ".").replace("'", "") + "@beanandleaf.example"
        self.staff[person] = tenants.create_staff(
            self.rt, self.tenant_id, name=person, email=email, role=role,
            store_id=store_id, actor=audit.SYSTEM).id
        return self.staff[person]

    # Planning: who comes when ---------------------------------------------------------------

    def plan(self, count: int) -> None:
        offices = min(len(OFFICES), max(1, count // 300))
        phones: set[str] = set()
        for index in range(count):
            persona = OFFICE if index < offices else \
                self.rng.choices(PERSONAS, weights=[p.share for p in PERSONAS])[0]
            customer = self._customer(persona, phones, index)
            self.customers.append(customer)
            self._plan_visits(len(self.customers) - 1, customer)
        for day in range(DAYS + 1):
            today = self.first_day + timedelta(days=day)
            mean = ANONYMOUS_PER_STORE_DAY * count * LEISURE_DAYS[today.weekday()] \
                * SEASON[today.month]
            for store in range(len(STORES)):
                for _ in range(_poisson(self.rng, mean)):
                    self._push(self._at(today, PERSONAS[0].hours), _Event("visit", None, store))
            if day and today.day == 1:
                self._push(datetime.combine(today, time(), self.zone), _Event("expire"))
        self.planned = len(self.queue)

    def _customer(self, persona: Persona, phones: set[str], index: int) -> _Customer:
        rng = self.rng
        while True:
            national = f"08{rng.choice('35679')}{rng.randrange(2_000_000, 10_000_000)}"
            try:
                e164 = member_service.normalize_phone(national, PHONE_REGION)
            except InvalidPhone:
                continue
            if e164 not in phones:
                phones.add(e164)
                break
        forms = (f"{national[:3]} {national[3:6]} {national[6:]}", national,
                 f"+353 {national[1:3]} {national[3:6]} {national[6:]}")
        office = persona is OFFICE
        named = office or rng.random() < 0.65
        first = rng.choice(FIRST_NAMES) if named else None
        last = rng.choice(LAST_NAMES) if named else None
        email = None
        if first and last and rng.random() < 0.5:
            email = f"{first}.{last}{index}@example.ie".lower().replace("'", "")
        birthday = None
        if rng.random() < 0.45:
            birthday = date(1955, 1, 1) + timedelta(days=rng.randrange(51 * 365))
        profile: dict[str, Any] = {}
        if office:
            profile["company"] = OFFICES[index]
        elif rng.random() < 0.3:
            profile["milk"] = rng.choice(MILKS)
        card = f"BL{rng.randrange(10**9, 10**10)}" if office or rng.random() < 0.2 else None
        consent = rng.choices(("full", "earn_only", "none"), weights=(88, 9, 3))[0]
        home = 2 if office else rng.choices(range(len(STORES)), weights=(45, 30, 25))[0]
        return _Customer(
            persona=persona, phones=forms, home_store=home,
            redeemer=office or rng.random() < 0.55,
            registration=Registration(phone=rng.choice(forms), card=card, first_name=first,
                                      last_name=last, email=email, birthday=birthday,
                                      consent="full" if office else consent, profile=profile))

    def _plan_visits(self, index: int, customer: _Customer) -> None:
        rng, persona = self.rng, customer.persona
        if persona is OFFICE:
            join = rng.randrange(42)
        elif rng.random() < 0.25:  # the launch: a quarter joined in the first four weeks
            join = rng.randrange(28)
        else:
            join = rng.randrange(DAYS)
        last = DAYS
        if persona is not OFFICE and rng.random() < 0.35:  # moved away, changed jobs, lapsed
            last = min(DAYS, join + rng.randrange(30, 240))
        days = [join]
        low, high = persona.visits_per_week
        if high > 0:
            pattern = COMMUTER_DAYS if persona.commuter else LEISURE_DAYS
            if persona is OFFICE:
                pattern = (*COMMUTER_DAYS[:5], 0.0, 0.0)
            per_day = rng.uniform(low, high) / sum(pattern)
            for day in range(join + 1, last + 1):
                today = self.first_day + timedelta(days=day)
                if rng.random() < per_day * pattern[today.weekday()] * SEASON[today.month]:
                    days.append(day)
        elif persona.name == "one-off" and rng.random() < 0.2 and join < last:
            days.append(rng.randrange(join + 1, last + 1))
        kind = "sign-up" if persona.style == "none" else "visit"
        for n, day in enumerate(days):
            store = customer.home_store if rng.random() < 0.85 else rng.randrange(len(STORES))
            self._push(self._at(self.first_day + timedelta(days=day), persona.hours),
                       _Event(kind, index, customer.home_store if n == 0 else store))

    def _at(self, day: date, hours: tuple[float, float, float]) -> datetime:
        hour = self.rng.triangular(hours[0], hours[2], hours[1])
        local = datetime.combine(day, time(int(hour), int(hour % 1 * 60), self.rng.randrange(60)),
                                 self.zone)
        return local.astimezone(UTC)

    def _push(self, at: datetime, event: _Event) -> None:
        if at <= self.end:
            self.pushed += 1  # ties keep the order they were planned in
            heapq.heappush(self.queue, (at, self.pushed, event))

    # Running: every event through the services --------------------------------------------

    def run(self, progress: Progress | None) -> int:
        """Replay every planned event in time order (and the voids and refunds they lead to);
        return how many ran."""
        done = 0
        while self.queue:
            at, _, event = heapq.heappop(self.queue)
            self.clock.now = at
            if event.kind == "visit":
                self._visit(event)
            elif event.kind == "sign-up":
                assert event.customer is not None
                self._register(self.customers[event.customer], self._till(event.store))
            elif event.kind == "expire":
                self.bulk.flush()
                ledger_admin.expire(self.rt)
            else:
                self._take_back(event)
            done += 1
            if progress and done % 200 == 0:
                progress(done, max(self.planned, done + len(self.queue)))
        self.bulk.flush()
        return done

    def _till(self, store: int) -> _Till:
        return self.rng.choice([t for t in self.tills if t.store == store])

    def _register(self, customer: _Customer, till: _Till) -> None:
        reg = customer.registration
        if self.registered and self.rng.random() < 0.05:
            reg = replace(reg, referrer_id=self.rng.choice(self.registered))
            self.bulk.settle(reg.referrer_id)  # a referral may pay the referrer
        # The store's cashiers enrol in turn (not drawn: the rest of the history keeps its
        # random sequence).
        cashiers = self.cashiers[till.store]
        view, created = member_registration.register(
            self.rt, self.tenant_id, reg, store_id=till.principal.store_id,
            terminal_id=till.principal.terminal_id,
            staff_id=cashiers[len(self.registered) % len(cashiers)] if cashiers else None)
        if not created:
            raise RuntimeError(f"demo phone {reg.phone} was generated twice")
        customer.member_id, customer.qr = view.id, view.qr_token
        customer.balance_points = view.balance_points
        self.registered.append(customer.member_id)
        self.bulk.joined(customer.member_id)

    def _ref(self, customer: _Customer) -> MemberRef:
        roll = self.rng.random()
        if customer.registration.card and roll < 0.55:
            return MemberRef(card=customer.registration.card)
        if roll > 0.8:
            return MemberRef(qr=customer.qr)
        return MemberRef(phone=self.rng.choice(customer.phones))

    def _visit(self, event: _Event) -> None:
        rng, till = self.rng, self._till(event.store)
        customer = None if event.customer is None else self.customers[event.customer]
        joining = customer is not None and customer.member_id is None
        if customer is not None and joining:
            self._register(customer, till)
        style = customer.persona.style if customer else rng.choice(("coffee", "leisure"))
        lines = self._basket(style)
        ref = None if customer is None else self._ref(customer)
        spend = self._points_to_spend(customer, ref, till, lines, joining=joining)
        till.receipts += 1
        number = f"{till.code}-{till.receipts:06d}"
        staff_id, how = rng.choice(self.cashiers[till.store]), _identified_by(ref)
        friend = None
        if customer is None and self.dishonest and self.dishonest.takes(event.store,
                                                                        self.clock.now):
            friend = self.dishonest.friend_of(
                [c.phones[1] for c in self.customers if c.member_id is not None
                 and c.home_store == event.store and c.persona is not OFFICE])
        if friend is not None and self.dishonest is not None:
            ref, staff_id, how = friend, self.dishonest.staff_id, "typed"
        request = CommitRequest(sale=Sale(member=ref, lines=lines, points_to_spend=spend),
                                receipt_id=number, occurred_at=self.clock.now,
                                staff_id=staff_id, identified_by=how)
        roll = rng.random()  # below VOID_SHARE: voided at once; then up to REFUND_SHARE more
        if self.in_bulk and not spend and friend is None and roll >= VOID_SHARE + REFUND_SHARE:
            self._plain(customer, till, request)
            return
        self._commit(event, customer, till, request, roll=roll, friend=friend is not None)

    def _points_to_spend(self, customer: _Customer | None, ref: MemberRef | None,
                         till: _Till, lines: tuple[BasketLine, ...], *, joining: bool) -> int:
        """The points a redeeming customer spends: the till asks what may be spent, and the
        customer takes all of it or half."""
        if not (customer is not None and ref is not None and customer.redeemer
                and not joining
                and customer.balance_points >= PROGRAM.redeem_min_balance_points
                and self.rng.random() < 0.5):
            return 0
        self.bulk.settle(customer.member_id)
        quote = checkout.quote(self.rt, till.principal, Sale(member=ref, lines=lines))
        if quote.member is not None:
            customer.balance_points = quote.member.balance_points
        most = quote.max_spendable_points
        return most if self.rng.random() < 0.7 else most // 2

    def _plain(self, customer: _Customer | None, till: _Till, request: CommitRequest) -> None:
        """A receipt no later step needs an answer from: priced and written in bulk."""
        principal = till.principal
        assert principal.terminal_id is not None and principal.store_id is not None
        points = self.bulk.add(bulk.Sale(
            terminal_id=principal.terminal_id, store_id=principal.store_id,
            staff_id=request.staff_id, receipt_no=request.receipt_id,
            member_id=customer.member_id if customer else None,
            may_earn=customer is not None and customer.registration.consent != "none",
            lines=request.sale.lines, at=self.clock.now, identified_by=request.identified_by,
            payload=_payload(request)))
        if customer is not None:
            customer.balance_points += points

    def _commit(self, event: _Event, customer: _Customer | None, till: _Till,
                request: CommitRequest, *, roll: float, friend: bool) -> None:
        """A receipt through the till's commit: one that spends points, goes on the dishonest
        cashier's friend, or is voided or refunded later."""
        rng = self.rng
        if friend:  # the friend's receipts waiting in bulk come first (whoever they are)
            self.bulk.flush()
        elif customer is not None:
            self.bulk.settle(customer.member_id)
        body = checkout_commit.commit(self.rt, till.principal, request,
                                      key=f"demo-{request.receipt_id}",
                                      payload=_payload(request)).body
        member_id = int(body["member"]["id"]) if body["member"] else None
        self.bulk.forget(member_id)
        if friend and self.dishonest is not None and member_id is not None:
            self.dishonest.after_sale(self.rt, self.tenant_id, member_id, request.receipt_id)
        if customer is not None:
            customer.balance_points = int(body["member"]["balance_points"])
        sold = _Sold(int(body["receipt"]["id"]), self.tills.index(till), event.customer,
                     request.sale.lines, int(body["points_spent"]))
        if roll < VOID_SHARE:  # keyed wrongly, voided at once, within the void window
            self._push(self.clock.now + timedelta(minutes=rng.randint(1, 8)),
                       _Event("void", sold=sold))
        elif roll < VOID_SHARE + REFUND_SHARE:
            at = self._at(self.clock.now.astimezone(self.zone).date()
                          + timedelta(days=rng.randint(1, 6)), (10.0, 13.0, 18.0))
            # A refund after the month's expiry run may return spent points into a lot that
            # has expired meanwhile, where the next run takes them again: the customer gets
            # nothing back. Keep refunds of receipts paid with points within their month.
            if not sold.points_spent or _month(at, self.zone) == _month(self.clock.now,
                                                                        self.zone):
                self._push(at, _Event("refund", sold=sold))

    def _take_back(self, event: _Event) -> None:
        sold = event.sold
        assert sold is not None
        till = self.tills[sold.till]
        lines: list[tuple[int, int]] | None = None
        if event.kind == "refund" and self.rng.random() < 0.5:  # one item back, not the lot
            line_no = self.rng.randrange(len(sold.lines)) + 1
            lines = [(line_no, QUANTITY_SCALE)]
        void = event.kind == "void"
        member_id = None if sold.customer is None else self.customers[sold.customer].member_id
        self.bulk.settle(member_id)
        body = checkout.refund(
            self.rt, till.principal, sold.receipt_id, lines,
            key=f"demo-{event.kind}-{sold.receipt_id}",
            payload={"receipt": sold.receipt_id, "void": void, "lines": lines}, void=void).body
        self.bulk.forget(member_id)
        if sold.customer is not None and body["balance_points"] is not None:
            self.customers[sold.customer].balance_points = int(body["balance_points"])

    def _basket(self, style: str) -> tuple[BasketLine, ...]:
        rng = self.rng
        counts: dict[Item, int] = {}
        for items, fewest, most, chance in BASKETS[style]:
            if rng.random() < chance:
                for _ in range(rng.randint(fewest, most)):
                    item = rng.choice(items)
                    counts[item] = counts.get(item, 0) + 1
        return tuple(BasketLine(sku=item.sku, name=item.name, category=item.category,
                                quantity_milli=n * QUANTITY_SCALE,
                                unit_price_minor=item.price_minor)
                     for item, n in counts.items())


def _payload(request: CommitRequest) -> dict[str, Any]:
    """The request as a till would send it over HTTP: what the idempotency hash covers."""
    member = request.sale.member
    return {"receipt_id": request.receipt_id,
            "member": None if member is None else {k: v for k, v in member.__dict__.items()
                                                   if v is not None},
            "lines": [{"sku": ln.sku, "name": ln.name, "category": ln.category,
                       "quantity_milli": ln.quantity_milli,
                       "unit_price_minor": ln.unit_price_minor} for ln in request.sale.lines],
            "points_to_spend": request.sale.points_to_spend,
            "occurred_at": request.occurred_at.isoformat() if request.occurred_at else None,
            "staff_id": request.staff_id,
            **({"identified_by": request.identified_by} if request.identified_by else {})}


def _identified_by(ref: MemberRef | None) -> str | None:
    """A card or QR code is scanned; a phone number is said and typed in."""
    if ref is None:
        return None
    return "typed" if ref.phone else "scanned"


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: fine for the small means used here)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _month(at: datetime, zone: ZoneInfo) -> tuple[int, int]:
    local = at.astimezone(zone)
    return local.year, local.month

