"""Coupon series and codes: issue them, check the codes a till sends, hold, use and give back.

A series carries one effect from the promotions' registry
(:data:`regulars.domain.promotions.promotions.STRATEGIES`), a number of uses per code and local
validity
dates (inclusive, the tenant's zone). Codes are shown once, when generated; the database keeps
only HMAC-SHA256 digests under the tenant's secret, made with its first series.

At checkout (see :mod:`regulars.services.checkout.checkout`):

1. :func:`offers_for` (inside the quote's or commit's unit of work) reads the codes with the
   till's wrong codes in one statement. A code that is malformed, has a wrong check character
   or is unknown counts against the till: it raises :class:`WrongCodes`, and the caller
   records them with :func:`count_wrong` in a unit of work of its own once its own is rolled
   back, so that they stay counted when the request is refused; more than :data:`MAX_WRONG`
   in :data:`WINDOW` and every coupon request of the till answers :class:`TooManyAttempts`
   until the window clears.
2. :func:`offers_for` then refuses a real code that is not valid on the receipt's local day,
   bound to another member, or used up (uses plus live holds of other tills).
3. :func:`hold` (a quote with ``hold``) reserves one use per code for the till for the
   program's hold TTL; :func:`use` (the commit) counts the use by a conditional update and
   consumes the till's hold, so concurrent commits of a single-use code get one winner.
4. :func:`give_back`: a refund or void that leaves nothing of the receipt returns the use, if
   the series is still valid on the local day of the refund. Partial refunds keep it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from regulars.db import locks
from regulars.db.checkout.receipts import Children
from regulars.db.members import members as member_store
from regulars.db.promotions import coupons as store
from regulars.db.tenancy import tenancy
from regulars.domain import codes
from regulars.domain.checkout.quote import Quote
from regulars.domain.promotions.coupons import CodeState, CouponOffer, Refusal, Series, refusal
from regulars.domain.promotions.promotions import STRATEGIES, Effect, kind_of
from regulars.errors import (
    CouponExpired,
    CouponNotYetValid,
    CouponNotYours,
    CouponRefused,
    CouponUsed,
    InvalidCoupon,
    InvalidInput,
    NotFound,
    TooManyAttempts,
)
from regulars.services.audit import audit
from regulars.services.checkout.results import CouponHold
from regulars.services.runtime import Runtime
from regulars.services.tenancy.api_keys import Principal

MAX_WRONG = 10
WINDOW = timedelta(minutes=10)
MAX_CODES_PER_CALL = 100_000
MAX_COUPONS_PER_RECEIPT = 10
_EFFECTS: dict[str, TypeAdapter[Any]] = {kind: TypeAdapter(cls)
                                         for kind, (cls, _) in STRATEGIES.items()}
_REFUSALS: dict[Refusal, tuple[type[CouponRefused], str]] = {
    Refusal.NOT_YET: (CouponNotYetValid, "the coupon is not valid yet"),
    Refusal.EXPIRED: (CouponExpired, "the coupon has expired"),
    Refusal.NOT_YOURS: (CouponNotYours, "the coupon belongs to another member"),
    Refusal.USED: (CouponUsed, "the coupon has been used"),
}


@dataclass(frozen=True, kw_only=True)
class SeriesDraft:
    name: str
    effect: Effect
    max_uses: int = 1
    starts_on: date | None = None
    ends_on: date | None = None


def effect_definition(effect: Effect) -> dict[str, Any]:
    kind = kind_of(effect)
    data = _EFFECTS[kind].dump_python(effect, mode="json")
    for name in ("categories", "skus"):
        if name in data:
            data[name] = sorted(data[name])
    return {"kind": kind, **data}


def effect_of(definition: dict[str, Any]) -> Effect:
    effect: Effect = _EFFECTS[definition["kind"]].validate_python(
        {k: v for k, v in definition.items() if k != "kind"})
    return effect


def _domain(row: store.SeriesRow) -> Series:
    return Series(id=row.id, name=row.name, effect=effect_of(row.effect),
                  max_uses=row.max_uses, starts_on=row.starts_on, ends_on=row.ends_on)


@dataclass(frozen=True, kw_only=True, slots=True)
class SeriesView:
    """A coupon series: its effect in storage form (with its ``kind``), uses per code,
    validity (local dates, inclusive), and how many codes it issued and uses they took."""

    id: int
    name: str
    effect: Mapping[str, Any]
    max_uses: int
    starts_on: date | None
    ends_on: date | None
    codes_issued: int
    uses: int
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class IssuedCodes:
    """Codes just issued, grouped for reading: shown this once (only digests are kept)."""

    series_id: int
    member_id: int | None
    count: int
    codes: tuple[str, ...]


def _view(conn: Connection, tenant_id: int, row: store.SeriesRow) -> SeriesView:
    issued, used = store.code_counts(conn, tenant_id, row.id)
    return SeriesView(id=row.id, name=row.name, effect=row.effect, max_uses=row.max_uses,
                      starts_on=row.starts_on, ends_on=row.ends_on, codes_issued=issued,
                      uses=used, created_at=row.created_at)


def _require(conn: Connection, tenant_id: int, series_id: int) -> store.SeriesRow:
    row = store.get_series(conn, tenant_id, series_id)
    if row is None:
        raise NotFound("coupon series not found")
    return row


def secret_key(conn: Connection, tenant_id: int, now: datetime) -> bytes:
    """The tenant's key for code digests, made on first use."""
    found = store.secret(conn, tenant_id)
    if found is None:
        made = secrets.token_hex(32)
        try:
            with conn.begin_nested():
                store.insert_secret(conn, tenant_id, made, now)
            found = made  # not read back: a key is cached once read, and this one is not
            # committed yet (the transaction may still roll back)
        except IntegrityError:  # a concurrent call made it first: use theirs
            found = store.secret(conn, tenant_id)
            assert found is not None
    return bytes.fromhex(found)


# Owner use cases ------------------------------------------------------------------------------

def create_series(rt: Runtime, tenant_id: int, draft: SeriesDraft,
                  *, actor: audit.Actor) -> SeriesView:
    """A new series. Raises :class:`InvalidInput` naming the field."""
    try:
        Series(id=0, name=draft.name, effect=draft.effect, max_uses=draft.max_uses,
               starts_on=draft.starts_on, ends_on=draft.ends_on)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=str(exc).split(" ", 1)[0]) from exc
    now = rt.now()
    with rt.db.write() as conn:
        secret_key(conn, tenant_id, now)
        series_id = store.insert_series(
            conn, tenant_id=tenant_id, name=draft.name,
            effect=effect_definition(draft.effect), max_uses=draft.max_uses,
            starts_on=draft.starts_on, ends_on=draft.ends_on, now=now)
        audit.record(conn, tenant_id, actor, "coupon_series.create",
                     f"coupon series {series_id}", at=now, max_uses=draft.max_uses)
        return _view(conn, tenant_id, _require(conn, tenant_id, series_id))


def get_series(rt: Runtime, tenant_id: int, series_id: int) -> SeriesView:
    with rt.db.read() as conn:
        return _view(conn, tenant_id, _require(conn, tenant_id, series_id))


def list_series(rt: Runtime, tenant_id: int) -> list[SeriesView]:
    with rt.db.read() as conn:
        return [_view(conn, tenant_id, r) for r in store.list_series(conn, tenant_id)]


def generate_codes(rt: Runtime, tenant_id: int, series_id: int, *, count: int,
                   member_id: int | None = None, actor: audit.Actor) -> IssuedCodes:
    """Issue ``count`` new codes of the series (bound to ``member_id`` when given) and return
    them grouped for reading; this is the only time they are shown.

    Raises :class:`NotFound` (series or member), :class:`InvalidInput` (count).
    """
    if not 1 <= count <= MAX_CODES_PER_CALL:
        raise InvalidInput(f"count must lie between 1 and {MAX_CODES_PER_CALL}", field="count")
    now = rt.now()
    with rt.db.write() as conn:
        row = _require(conn, tenant_id, series_id)
        if member_id is not None and member_store.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found", field="member_id")
        key = secret_key(conn, tenant_id, now)
        issued = codes.fresh_codes(count)
        store.insert_codes(conn, tenant_id=tenant_id, series_id=series_id,
                           digests=[codes.digest(key, c) for c in issued],
                           member_id=member_id, max_uses=row.max_uses, now=now)
        audit.record(conn, tenant_id, actor, "coupon_codes.generate",
                     f"coupon series {series_id}", at=now, count=count, member_id=member_id)
        return IssuedCodes(series_id=series_id, member_id=member_id, count=count,
                           codes=tuple(codes.grouped(c) for c in issued))


# Checkout -------------------------------------------------------------------------------------

class WrongCodes(InvalidCoupon):
    """Codes of a sale that are malformed, have a wrong check character or are unknown:
    raised as the first one's refusal from inside the unit of work that prices the sale
    (:func:`offers_for`), whose caller then counts them against the till in a unit of work
    of its own (:func:`count_wrong`), so that they stay counted although the request fails."""

    def __init__(self, failures: list[InvalidCoupon]) -> None:
        super().__init__(failures[0].template, field=failures[0].field,
                         params=failures[0].params)
        self.failures = failures


def count_wrong(rt: Runtime, principal: Principal, wrong: WrongCodes) -> NoReturn:
    """Record the wrong codes of a refused request against its till and raise the first
    one's refusal; :class:`TooManyAttempts` instead when the till reached the limit
    meanwhile. The till's wrong codes are counted again under its lock before they are
    recorded, so that requests at once from one till never try more codes than the limit
    allows."""
    assert principal.terminal_id is not None
    tenant_id, terminal_id = principal.tenant_id, principal.terminal_id
    now = rt.now()
    with rt.db.write() as conn:
        locks.sole_lock(conn, f"coupon-attempts:{tenant_id}:{terminal_id}")
        _blocked(conn, tenant_id, terminal_id, now)
        for _ in wrong.failures:
            store.record_attempt(conn, tenant_id, terminal_id, now)
    raise wrong.failures[0]


def _blocked(conn: Connection, tenant_id: int, terminal_id: int, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` if the till gave :data:`MAX_WRONG` wrong codes within
    :data:`WINDOW` before ``now``."""
    recent = store.attempts_since(conn, tenant_id, terminal_id, now - WINDOW)
    if len(recent) >= MAX_WRONG:
        free_at = recent[-MAX_WRONG] + WINDOW
        raise TooManyAttempts(
            f"too many wrong coupon codes from this till; try again after "
            f"{free_at.isoformat()}", field="coupons",
            retry_after_seconds=max(1, math.ceil((free_at - now).total_seconds())))


def _screened(parsed: list[str | codes.Problem], digests: list[str | None],
              known: Mapping[str, object]) -> list[InvalidCoupon]:
    """The refusal of each code that is malformed, has a wrong check character or whose
    digest (``None``: the tenant has no key yet) is not one of ``known``. Raises
    :class:`InvalidInput` for a code given twice."""
    seen: set[str] = set()
    failures = []
    for index, (code, digest) in enumerate(zip(parsed, digests, strict=True)):
        if isinstance(code, codes.Problem):
            reason = ("the check character does not match: a character is mistyped"
                      if code is codes.Problem.CHECK else
                      "a coupon code has 16 characters of 0-9 and A-Z without U")
        elif code in seen:
            raise InvalidInput("the same coupon is given twice", field=f"coupons.{index}")
        elif digest is None or digest not in known:
            reason = "no such coupon"
        else:
            seen.add(code)
            continue
        failures.append(InvalidCoupon(reason, field=f"coupons.{index}"))
    return failures


def offers_for(conn: Connection, tenant: tenancy.TenantRow, texts: tuple[str, ...], *,
               member_id: int | None, terminal_id: int, at: datetime,
               now: datetime) -> tuple[CouponOffer, ...]:
    """The codes as the engine applies them, screened first: with the till's wrong codes,
    in one statement.

    Raises :class:`TooManyAttempts` while the till is blocked (nothing else is checked
    then), :class:`WrongCodes` for codes that are malformed, have a wrong check character or
    are unknown (the caller counts them against the till once this unit of work is over),
    :class:`InvalidInput` for too many or repeated codes, and a :class:`CouponRefused` for
    one that cannot be used on this receipt (local day of ``at``; uses and holds as of
    ``now``).
    """
    if not texts:
        return ()
    if len(texts) > MAX_COUPONS_PER_RECEIPT:
        raise InvalidInput(f"at most {MAX_COUPONS_PER_RECEIPT} coupons per receipt",
                           field="coupons")
    key = store.secret(conn, tenant.id)
    parsed = [codes.parse(text) for text in texts]
    digests = [None if key is None or isinstance(p, codes.Problem)
               else codes.digest(bytes.fromhex(key), p) for p in parsed]
    wrong, known = store.codes_for_sale(conn, tenant.id, [d for d in digests if d is not None],
                                        terminal_id=terminal_id, since=now - WINDOW, now=now)
    if wrong >= MAX_WRONG:
        _blocked(conn, tenant.id, terminal_id, now)
    failures = _screened(parsed, digests, known)
    if failures:
        raise WrongCodes(failures)
    day = at.astimezone(ZoneInfo(tenant.timezone)).date()
    found: list[CouponOffer] = []
    for index, digest in enumerate(digests):
        assert digest is not None
        sale_code = known[digest]
        row, series = sale_code.code, _domain(sale_code.series)
        state = CodeState(id=row.id, series=series, member_id=row.member_id, uses=row.uses,
                          held_by_others=sale_code.held_by_others, max_uses=row.max_uses)
        why = refusal(state, member_id=member_id, day=day)
        if why is not None:
            error, detail = _REFUSALS[why]
            raise error(f"{detail} ({series.name})", field=f"coupons.{index}")
        found.append(CouponOffer(code_id=row.id, series=series))
    return tuple(found)


def hold(conn: Connection, tenant: tenancy.TenantRow, offers: tuple[CouponOffer, ...], *,
         terminal_id: int, now: datetime, expires_at: datetime) -> tuple[CouponHold, ...]:
    """Reserve one use of each code for the till until ``expires_at`` (the hold takes the use
    off the code's slots; the till's commit then consumes it). Raises :class:`CouponUsed`
    when a concurrent call took the last free use (the check in :func:`offers_for` is not
    held)."""
    held: list[CouponHold] = []
    for index, offer in enumerate(offers):
        store.lock_code(conn, tenant.id, offer.code_id)
        hold_id = store.place_hold(conn, tenant.id, offer.code_id, terminal_id,
                                   expires_at=expires_at, now=now)
        if hold_id is None:
            raise CouponUsed(f"the coupon has been used ({offer.series.name})",
                             field=f"coupons.{index}")
        held.append(CouponHold(id=hold_id, series_id=offer.series.id, expires_at=expires_at))
    return tuple(held)


def uses(quote: Quote) -> Children:
    """The receipt's use of each code the quote applied, as rows of its own (what a refund
    gives back), written with the receipt; the codes' slots are :func:`count_uses`'."""
    return store.use_rows([
        {"code_id": c.code_id, "series_id": c.series_id, "discount_minor": c.discount_minor,
         "points": c.points}
        for c in quote.coupons])


def count_uses(conn: Connection, tenant_id: int, receipt_id: int, quote: Quote, *,
               terminal_id: int, now: datetime, quick: bool = False) -> None:
    """Count one use of each code the quote applied, in the commit's transaction: the till's
    hold on the code is consumed, or one use is taken off one of the code's slots (a slot
    another till holds is passed over). The commit calls this last, so that a slot it locked
    is held for the shortest time.

    Raises :class:`CouponUsed` when no use is left (a concurrent commit took it); the caller's
    transaction then rolls back whole. ``quick``: each code in one statement that never
    waits, raising :class:`~regulars.db.promotions.budget_slots.Busy` when it counted
    nothing (the caller rolls back and commits again without ``quick``).
    """
    for index, applied in enumerate(quote.coupons):
        if quick:
            store.take_use_quick(conn, tenant_id, applied.code_id, terminal_id)
            continue
        if not store.take_use(conn, tenant_id, applied.code_id, terminal_id,
                              receipt_id=receipt_id, now=now):
            raise CouponUsed(f"the coupon has been used ({applied.name})",
                             field=f"coupons.{index}")


def give_back(conn: Connection, tenant_id: int, receipt_id: int, now: datetime) -> int:
    """Return the uses of a receipt that nothing is left of, for series still valid on the
    local day of ``now``; returns how many came back. Each use comes back once."""
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    day = now.astimezone(ZoneInfo(tenant.timezone)).date()
    returned = 0
    for used in store.uses_of(conn, tenant_id, receipt_id):
        if used["returned_at"] is not None:
            continue
        series = _require(conn, tenant_id, used["series_id"])
        if series.ends_on is not None and day > series.ends_on:
            continue
        returned += store.give_back_use(conn, tenant_id, used["id"], used["code_id"], now)
    return returned


def applied_view(quote: Quote) -> list[dict[str, Any]]:
    return [{"series_id": c.series_id, "name": c.name, "discount_minor": c.discount_minor,
             "points": c.points} for c in quote.coupons]


# The member's own view --------------------------------------------------------------------

def member_coupons(rt: Runtime, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """The coupons bound to a member, newest first, each with its state on the tenant's local
    day: ``active``, ``upcoming`` (not valid yet), ``used`` (no use left) or ``expired``.
    The codes' text is not kept, so it is not part of the answer."""
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        if tenant is None or member_store.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        rows = store.member_codes(conn, tenant_id, member_id)
    day = rt.now().astimezone(ZoneInfo(tenant.timezone)).date()
    found = []
    for row in rows:
        if row["uses"] >= row["max_uses"]:
            state = "used"
        elif row["ends_on"] is not None and day > row["ends_on"]:
            state = "expired"
        elif row["starts_on"] is not None and day < row["starts_on"]:
            state = "upcoming"
        else:
            state = "active"
        found.append({"id": row["id"], "series_id": row["series_id"], "name": row["name"],
                      "effect": row["effect"], "state": state,
                      "uses": row["uses"], "max_uses": row["max_uses"],
                      "starts_on": row["starts_on"].isoformat() if row["starts_on"] else None,
                      "ends_on": row["ends_on"].isoformat() if row["ends_on"] else None,
                      "issued_at": row["created_at"].isoformat()})
    return found
