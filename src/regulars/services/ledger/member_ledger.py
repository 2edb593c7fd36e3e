"""A member's points by hand and on record: manual adjustments and merges, each one keyed
ledger entry, and the member's entry history and open lots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from regulars.db.checkout import receipts
from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger import spendable as ledger_spendable
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.members import members
from regulars.db.tenancy import tenancy
from regulars.domain.checkout import reasons
from regulars.domain.ledger.assets import POINTS
from regulars.errors import Conflict, InsufficientPoints, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.checkout import idempotency, reason_names
from regulars.services.members.members import HistoryEntry, MemberView, view
from regulars.services.program import programs
from regulars.services.runtime import Runtime
from regulars.services.stored_value import merge as stored_value_merge
from regulars.services.tenancy.tenants import get_tenant
from regulars.text import i18n


@dataclass(frozen=True, kw_only=True, slots=True)
class OpenLot:
    """Points of a member not yet spent or expired: spendable from ``available_at``, expiring
    at ``expires_at`` (``None``: never)."""

    id: int
    points: int
    available_at: datetime
    expires_at: datetime | None


_MEMBER_VIEW = TypeAdapter(MemberView)


def _answered(body: dict[str, Any]) -> MemberView:
    """The member a keyed write answered with, read back from the JSON stored for its
    replays (:func:`~regulars.services.results.to_json` of a :class:`MemberView`): the first
    call and every replay return the same value, so the edges serialise the same bytes."""
    return _MEMBER_VIEW.validate_python(body)


def adjust(rt: Runtime, tenant_id: int, member_id: int, *, points: int, reason: str,
           key: str, staff_id: int | None = None,
           actor: audit.Actor | None = None) -> MemberView:
    """Add (``points`` > 0) or take away (< 0) points by hand, with a required reason; the
    member after it.

    Idempotent by ``key``: a repeat returns the first answer, the key with other values
    raises :class:`IdempotencyMismatch`. Raises :class:`InsufficientPoints` when taking more
    than the member holds, :class:`InvalidInput` for zero points or an empty reason.
    """
    if points == 0:
        raise InvalidInput("points must not be zero", field="points")
    if not reason.strip():
        raise InvalidInput("a reason is required", field="reason")
    now = rt.now()
    payload = {"member_id": member_id, "points": points, "reason": reason.strip()}
    with rt.db.write() as conn:
        body = idempotency.once(conn, tenant_id=tenant_id, scope="adjust",
                                terminal_id=idempotency.NO_TILL, key=key,
                                payload=payload, now=now,
                                work=lambda: _adjust(conn, rt, tenant_id, member_id,
                                                     points=points, reason=reason.strip(),
                                                     key=key, staff_id=staff_id,
                                                     actor=actor or audit.staff(staff_id)))
    return _answered(body)


def _adjust(conn: Any, rt: Runtime, tenant_id: int, member_id: int, *, points: int,
            reason: str, key: str, staff_id: int | None, actor: audit.Actor) -> MemberView:
    now = rt.now()
    row = members.live_member(conn, tenant_id, member_id)
    if row is None or row.status != "active":
        raise NotFound("member not found")
    version, program = programs.load_current(conn, tenant_id)
    audit.record(conn, tenant_id, actor, "points.adjust", f"member {member_id}", at=now,
                 points=points, reason=reason[:200])
    ctx = EntryContext(tenant_id=tenant_id, member_id=member_id, staff_id=staff_id,
                       program_version=version, occurred_at=now, recorded_at=now)
    try:
        ledger_ops.adjust(
            conn, ctx, key=f"adjust:{key}", account_id=row.account_id, amount=points, now=now,
            expires_at=program.lot_dates(now)[1],
            memo={"reason": reason,
                  "why": [{"code": "adjust", "params": {"points": points, "reason": reason}}]})
    except Shortfall as exc:
        raise InsufficientPoints("the member holds fewer points than that",
                                 field="points") from exc
    return view(conn, tenant_id, member_id, rt)


def merge(rt: Runtime, tenant_id: int, *, source_id: int, target_id: int,
          key: str) -> MemberView:
    """Merge ``source`` into ``target``: identifiers, receipts, open lots (with their expiry),
    debt and the balance move to the target through one ``merge`` entry; the source remains
    as a tombstone that resolves to the target. The target after it.

    Idempotent by ``key`` (a repeat returns the first answer; the key with other members
    raises :class:`IdempotencyMismatch`). Raises :class:`InvalidInput` for a member merged
    into itself, :class:`NotFound` for an unknown member, :class:`Conflict` for one that is
    not active."""
    if source_id == target_id:
        raise InvalidInput("a member cannot be merged into itself", field="source_id")
    now = rt.now()
    payload = {"source_id": source_id, "target_id": target_id}
    with rt.db.write() as conn:
        body = idempotency.once(conn, tenant_id=tenant_id, scope="merge",
                                terminal_id=idempotency.NO_TILL, key=key,
                                payload=payload, now=now,
                                work=lambda: _merge(conn, rt, tenant_id, source_id, target_id,
                                                    key=key, now=now))
    return _answered(body)


def _merge(conn: Any, rt: Runtime, tenant_id: int, source_id: int, target_id: int, *,
           key: str, now: datetime) -> MemberView:
    source = members.live_member(conn, tenant_id, source_id)
    target = members.live_member(conn, tenant_id, target_id)
    if source is None or target is None:
        raise NotFound("member not found")
    if source.status != "active" or target.status != "active":
        raise Conflict("only active members can be merged")
    # Receipts and their spend first: a commit or refund writes spend before the account row.
    receipts.move_receipts(conn, tenant_id, source_id, target_id)
    ledger_ops.transfer(
        conn, EntryContext(tenant_id=tenant_id, member_id=target_id, occurred_at=now,
                           recorded_at=now),
        key=f"merge:{key}", source_account_id=source.account_id,
        target_account_id=target.account_id,
        memo=lambda moved: {"source_id": source_id, "why": [
            {"code": "merge", "params": {"points": moved, "source_id": source_id}}]})
    tenant = tenancy.get_tenant(conn, tenant_id)
    assert tenant is not None
    stored_value_merge.move_holdings(
        conn, tenant, EntryContext(tenant_id=tenant_id, member_id=target_id, occurred_at=now,
                                   recorded_at=now),
        source_id=source_id, target_id=target_id, key=key)
    members.move_identifiers(conn, tenant_id, source_id, target_id)
    members.mark_merged(conn, tenant_id, source_id, into_id=target_id)
    if target.phone is None and source.phone is not None:
        members.update_member(conn, tenant_id, target_id, phone=source.phone)
    return view(conn, tenant_id, target_id, rt)


def history(rt: Runtime, tenant_id: int, member_id: int, *, limit: int = 50,
            before_id: int | None = None, locale: str | None = None,
            for_member: bool = False) -> list[HistoryEntry]:
    """The member's points entries, newest first, each with the reasons in words (in
    ``locale``, the tenant's by default); the money of the wallet and gift cards is in their
    statements. ``for_member`` leaves out the till's working the member has no use for: how
    many points a purchase that spent none could have spent."""
    from regulars.text.wording import render_code

    if not 1 <= limit <= 500:
        raise InvalidInput("limit must lie between 1 and 500", field="limit")
    tenant = get_tenant(rt, tenant_id)
    with rt.db.read() as conn:
        if members.get_member(conn, tenant_id, member_id) is None:
            raise NotFound("member not found")
        rows = members.history(conn, tenant_id, member_id, limit=limit, before_id=before_id,
                               asset=POINTS.code)
        kept = reason_names.named_each(conn, tenant_id, reasons.shown([reasons.Stored(
            code=r["code"], receipt_id=r["receipt_id"], why=r["memo"].get("why", []))
            for r in rows]), language=i18n.language_of(locale or tenant.locale) or "en")
    return [HistoryEntry(
        id=r["id"], code=r["code"], points=r["points"], receipt_id=r["receipt_id"],
        store_id=r["store_id"], terminal_id=r["terminal_id"],
        program_version=r["program_version"], occurred_at=r["occurred_at"],
        recorded_at=r["recorded_at"],
        explanations=tuple(render_code(w["code"], w.get("params", {}),
                                       locale=locale or tenant.locale, currency=tenant.currency)
                           for w in _reasons(why, for_member)),
        reason_codes=tuple(str(w["code"]) for w in why),
    ) for r, why in zip(rows, kept, strict=True)]


def _reasons(why: list[reasons.Reason], for_member: bool) -> list[reasons.Reason]:
    """The entry's reasons, less the spend limit on a purchase that spent no points when the
    member reads them."""
    if not for_member or any(w["code"] == "points_spent" for w in why):
        return why
    return [w for w in why if w["code"] != "spend_limit"]


def lots(rt: Runtime, tenant_id: int, member_id: int) -> list[OpenLot]:
    """Open lots, soonest to expire first: how many points, spendable from, expiring when."""
    with rt.db.read() as conn:
        row = members.get_member(conn, tenant_id, member_id)
        if row is None:
            raise NotFound("member not found")
        found = ledger_spendable.open_lots(conn, tenant_id, row.account_id)
    found.sort(key=lambda lot: (lot.expires_at is None, lot.expires_at or lot.available_at))
    return [OpenLot(id=lot.id, points=lot.remaining, available_at=lot.available_at,
                    expires_at=lot.expires_at)
            for lot in found]
