"""Promotions, their versions, what each receipt got from them, and the member facts their
conditions read. Every query is scoped by ``tenant_id``; another tenant's row is not found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, cast, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement, visitors
from sqlalchemy.sql.elements import BindParameter

from regulars.db.checkout.receipts import Children
from regulars.db.checkout.tables import receipts
from regulars.db.promotions.budgets import spent_by_slots_columns
from regulars.db.promotions.tables import (
    loyalty_budgets,
    promotion_groups,
    promotion_versions,
    promotions,
    receipt_promotions,
    segments,
)


@dataclass(frozen=True, kw_only=True)
class PromotionRow:
    id: int
    status: str
    version: int
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    control_seed: str


def _select() -> Any:
    return select(promotions.c.id, promotions.c.status,
                  promotions.c.current_version.label("version"),
                  promotion_versions.c.definition, promotions.c.created_at,
                  promotions.c.updated_at, promotions.c.control_seed).join(
        promotion_versions,
        (promotion_versions.c.tenant_id == promotions.c.tenant_id)
        & (promotion_versions.c.promotion_id == promotions.c.id)
        & (promotion_versions.c.version == promotions.c.current_version))


def _row(row: Any) -> PromotionRow:
    return PromotionRow(id=row.id, status=row.status, version=row.version,
                        definition=row.definition, created_at=row.created_at,
                        updated_at=row.updated_at, control_seed=row.control_seed)


def insert_promotion(conn: Connection, *, tenant_id: int, definition: dict[str, Any],
                     control_seed: str, now: datetime) -> int:
    promotion_id = int(conn.execute(insert(promotions).values(
        tenant_id=tenant_id, status="active", current_version=1, created_at=now,
        updated_at=now, control_seed=control_seed).returning(promotions.c.id)).scalar_one())
    conn.execute(insert(promotion_versions).values(
        tenant_id=tenant_id, promotion_id=promotion_id, version=1, definition=definition,
        created_at=now))
    return promotion_id


def get_promotion(conn: Connection, tenant_id: int, promotion_id: int, *,
                  for_update: bool = False) -> PromotionRow | None:
    query = _select().where(promotions.c.tenant_id == tenant_id,
                            promotions.c.id == promotion_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=promotions)
    row = conn.execute(query).one_or_none()
    return None if row is None else _row(row)


def add_version(conn: Connection, *, tenant_id: int, promotion_id: int, version: int,
                definition: dict[str, Any], now: datetime) -> None:
    """Save ``definition`` as ``version`` and make it current (the caller holds the row)."""
    conn.execute(insert(promotion_versions).values(
        tenant_id=tenant_id, promotion_id=promotion_id, version=version,
        definition=definition, created_at=now))
    conn.execute(update(promotions).where(
        promotions.c.tenant_id == tenant_id, promotions.c.id == promotion_id).values(
        current_version=version, updated_at=now))


def set_status(conn: Connection, tenant_id: int, promotion_id: int, status: str,
               now: datetime) -> None:
    conn.execute(update(promotions).where(
        promotions.c.tenant_id == tenant_id, promotions.c.id == promotion_id).values(
        status=status, updated_at=now))


def list_promotions(conn: Connection, tenant_id: int, *,
                    status: str | None = None) -> list[PromotionRow]:
    query = _select().where(promotions.c.tenant_id == tenant_id)
    if status is not None:
        query = query.where(promotions.c.status == status)
    return [_row(r) for r in conn.execute(query.order_by(promotions.c.id))]


@dataclass(frozen=True, kw_only=True)
class ActiveRow:
    """An active promotion as checkout needs it: the version, whose definition never
    changes (so it can be cached, segment id included), and the promotion's seed."""

    id: int
    version: int
    control_seed: str


@dataclass(frozen=True, kw_only=True)
class ActiveOffers:
    # (promotion id, version, seed) of each active promotion, by id: compared as they come,
    # made into :class:`ActiveRow` only when asked (see ``rows``)
    versions: tuple[tuple[int, int, str], ...]
    split: dict[str, Any] | None  # the tenant's loyalty budget split, if one was saved
    # Segment id -> its rules as stored (JSON text; None: no such segment), for the segments
    # the statement was built with; and whether the member is in each (as asked, see below).
    rules: dict[int, str | None]
    member_in: dict[int, bool]
    # (money off, points) each capped promotion with slots gave, as its slots tell it (see
    # :func:`regulars.db.promotions.budgets.spent_by_slots`), read with the versions
    slots_spent: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def rows(self) -> list[ActiveRow]:
        return [ActiveRow(id=i, version=v, control_seed=seed) for i, v, seed in self.versions]


@dataclass(frozen=True, kw_only=True)
class ActiveOffersQuery:
    """The statement of :func:`active_offers`, built once for a tenant, the segments whose
    rules it reads and the membership tests it carries: the tests' member and moments are
    named ``seg_...`` parameters."""

    statement: Any
    segment_ids: tuple[int, ...]
    test_ids: tuple[int, ...]
    parameters: frozenset[str]


def active_offers_query(tenant_id: int, *, segment_ids: Iterable[int] = (),
                        member_in: dict[int, ColumnElement[bool]] | None = None
                        ) -> ActiveOffersQuery:
    """The tenant's active promotions (by id) with what the capped ones' slots say they gave,
    the loyalty budget split, the current rules of the segments ``segment_ids`` (as text, so
    that the caller compares them without parsing) and membership tests (``member_in``:
    segment id -> expression, built by the caller from rules it knew before): everything
    checkout reads about promotions, in one statement. Which segment a version targets is in
    its definition, which never changes, so the caller knows it without a join."""
    sids = sorted(set(segment_ids))
    tests = sorted((member_in or {}).items())
    s = segments.c
    spent_minor, spent_points = spent_by_slots_columns(tenant_id, promotions.c.id)
    query = select(
        promotions.c.id, promotions.c.current_version, promotions.c.control_seed,
        spent_minor.label("slots_minor"), spent_points.label("slots_points"),
        loyalty_budgets.c.id.label("split_id"), loyalty_budgets.c.total_minor,
        loyalty_budgets.c.base_bp, loyalty_budgets.c.mass_bp, loyalty_budgets.c.targeted_bp,
        *(select(cast(s.rules, Text)).where(s.tenant_id == tenant_id, s.id == sid)
          .scalar_subquery().label(f"rules_{sid}") for sid in sids),
        *(test.label(f"in_{sid}") for sid, test in tests),
    ).outerjoin(loyalty_budgets, loyalty_budgets.c.tenant_id == promotions.c.tenant_id
    ).where(promotions.c.tenant_id == tenant_id, promotions.c.status == "active"
            ).order_by(promotions.c.id)
    names = frozenset(node.key for node in visitors.iterate(query)
                      if isinstance(node, BindParameter) and node.key.startswith("seg_"))
    return ActiveOffersQuery(statement=query, segment_ids=tuple(sids),
                             test_ids=tuple(sid for sid, _ in tests), parameters=names)


def active_offers(conn: Connection, query: ActiveOffersQuery,
                  parameters: dict[str, Any] | None = None) -> ActiveOffers:
    """Run :func:`active_offers_query`'s statement with its ``seg_...`` parameters."""
    found = conn.execute(query.statement, parameters or {}).all()
    split = None
    rules: dict[int, str | None] = {}
    inside: dict[int, bool] = {}
    if found:
        first = found[0]
        if first.split_id is not None:
            split = {"total_minor": first.total_minor, "base_bp": first.base_bp,
                     "mass_bp": first.mass_bp, "targeted_bp": first.targeted_bp}
        mapping = first._mapping
        rules = {sid: mapping[f"rules_{sid}"] for sid in query.segment_ids}
        inside = {sid: bool(mapping[f"in_{sid}"]) for sid in query.test_ids}
    return ActiveOffers(versions=tuple([(r.id, r.current_version, r.control_seed)
                                        for r in found]),
                        split=split, rules=rules, member_in=inside,
                        slots_spent={r.id: (r.slots_minor or 0, r.slots_points or 0)
                                     for r in found if r.slots_minor is not None
                                     or r.slots_points is not None})


def segment_rules(conn: Connection, tenant_id: int, segment_id: int) -> str | None:
    """A segment's rules as stored (JSON text), as :func:`active_offers` reads them; None
    when the tenant has no such segment."""
    found = conn.execute(select(cast(segments.c.rules, Text)).where(
        segments.c.tenant_id == tenant_id, segments.c.id == segment_id)).scalar_one_or_none()
    return None if found is None else str(found)


def version_definition(conn: Connection, tenant_id: int, promotion_id: int,
                       version: int) -> dict[str, Any]:
    found: dict[str, Any] = conn.execute(select(promotion_versions.c.definition).where(
        promotion_versions.c.tenant_id == tenant_id,
        promotion_versions.c.promotion_id == promotion_id,
        promotion_versions.c.version == version)).scalar_one()
    return found


def applied_rows(rows: list[dict[str, Any]]) -> Children:
    """What each promotion gave a receipt (``receipt_promotions`` rows without the tenant and
    receipt), to be written with the receipt
    (:func:`regulars.db.checkout.receipts.insert_receipt_with_lines`)."""
    return Children(receipt_promotions, rows)


def applied_to(conn: Connection, tenant_id: int, receipt_id: int) -> list[dict[str, Any]]:
    query = select(receipt_promotions.c.promotion_id, receipt_promotions.c.version,
                   receipt_promotions.c.discount_minor, receipt_promotions.c.points).where(
        receipt_promotions.c.tenant_id == tenant_id,
        receipt_promotions.c.receipt_id == receipt_id).order_by(receipt_promotions.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def visits(conn: Connection, tenant_id: int, member_id: int, *, until: datetime) -> int:
    """Receipts of the member up to ``until`` that were not voided."""
    return int(conn.execute(select(func.count()).select_from(receipts).where(
        receipts.c.tenant_id == tenant_id, receipts.c.member_id == member_id,
        receipts.c.occurred_at <= until, receipts.c.status != "voided")).scalar_one())


def targeted_versions(conn: Connection, tenant_id: int,
                      versions: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of the (promotion id, version) pairs whose definition names a segment."""
    if not versions:
        return set()
    t = promotion_versions.c
    rows = conn.execute(select(t.promotion_id, t.version, t.definition).where(
        t.tenant_id == tenant_id, tuple_(t.promotion_id, t.version).in_(versions)))
    return {(r.promotion_id, r.version) for r in rows
            if r.definition.get("segment_id") is not None}


def insert_groups(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Record members' groups; a member already recorded for a promotion keeps the first."""
    if not rows:
        return
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(promotion_groups).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(promotion_groups).on_conflict_do_nothing()
    conn.execute(stmt, rows)


def count_groups(conn: Connection, tenant_id: int, promotion_id: int) -> dict[str, int]:
    """Members recorded in each group of the promotion (groups with none are left out)."""
    t = promotion_groups.c
    rows = conn.execute(select(t.group, func.count()).where(
        t.tenant_id == tenant_id, t.promotion_id == promotion_id).group_by(t.group))
    return {str(group): int(n) for group, n in rows}
