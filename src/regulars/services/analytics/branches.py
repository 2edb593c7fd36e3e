"""Stores and cashiers compared: per store and per cashier the share of receipts with a
member, enrolments, active members, redemptions, refunds, manual adjustments and the average
check over a period, ranked, each beside its store's figure and the chain's; per store, what
no cashier is recorded for, so that the cashiers' rows add up to the stores'."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from regulars.db.analytics import branches as queries
from regulars.db.analytics.figures import Scope
from regulars.domain.analytics.branches import BranchFigures, Counts, figures_of, rank_key
from regulars.services.analytics.figures import Request, local_start, period_for
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant


@dataclass(frozen=True, kw_only=True)
class Branch:
    id: int
    name: str
    rank: int
    figures: BranchFigures
    store_id: int | None
    """The cashier's own store (None for staff of no one store); a store's own id."""
    store_name: str | None
    store_identified_share_bp: int | None
    store_average_minor: int | None
    store_enrolments: int | None
    """Members the cashier's store enrolled in the period (for a store: its own)."""
    store_active_members: int | None
    """Members who bought at the cashier's store in the period (for a store: its own)."""


@dataclass(frozen=True, kw_only=True)
class Branches:
    currency: str
    first_day: date
    last_day: date
    chain: BranchFigures
    stores: list[Branch]
    cashiers: list[Branch]
    no_cashier: list[Branch]
    """Per store, what no named cashier did (``id`` and ``store_id``: the store's, ``rank``
    0): receipts, refunds and adjustments with no cashier recorded and the members who
    enrolled themselves or were enrolled before the cashier was recorded (0038). With
    ``cashiers`` these rows sum to ``stores``, but for active members (a distinct count per
    row) and the work of a cashier at another store than their own."""


def _ranked(rows: list[tuple[int, str, BranchFigures, int | None]],
            store_names: dict[int, str], store_figures: dict[int, BranchFigures]
            ) -> list[Branch]:
    rows.sort(key=lambda row: (rank_key(row[2]), row[1], row[0]))
    found = []
    for rank, (key, name, figures, store_id) in enumerate(rows, start=1):
        store = store_figures.get(store_id) if store_id is not None else None
        found.append(Branch(
            id=key, name=name, rank=rank, figures=figures, store_id=store_id,
            store_name=store_names.get(store_id) if store_id is not None else None,
            store_identified_share_bp=store.identified_share_bp if store else None,
            store_average_minor=store.average_minor if store else None,
            store_enrolments=store.counts.enrolments if store else None,
            store_active_members=store.counts.active_members if store else None))
    return found


def _no_cashier(unnamed: dict[int, Counts], stores: list[Branch], store_names: dict[int, str],
                store_figures: dict[int, BranchFigures]) -> list[Branch]:
    """A row per store with something no cashier is recorded for, in the stores' order."""
    order = {store.id: store.rank for store in stores}
    rows: list[tuple[int, str, BranchFigures, int | None]] = [
        (key, store_names.get(key, f"#{key}"), figures_of(counts), key)
            for key, counts in unnamed.items()]
    return sorted((replace(row, rank=0) for row in _ranked(rows, store_names, store_figures)),
                  key=lambda row: order.get(row.id, len(order)))


def branches(rt: Runtime, tenant_id: int, request: Request) -> Branches:
    """Every store and every cashier with receipts, refunds, adjustments or enrolments in
    the period. Raises :class:`InvalidInput` for a bad range."""
    tenant = get_tenant(rt, tenant_id)
    period, zone = period_for(rt, tenant_id, request)
    end_day = period.last_day + timedelta(days=1)
    scope = Scope(tenant_id=tenant_id, start=local_start(period.first_day, zone),
                  end=local_start(end_day, zone))
    days = (period.first_day, end_day)
    with rt.db.read() as conn:
        per_store, per_staff = queries.by_store(conn, scope, days), queries.by_staff(conn, scope)
        unnamed = queries.without_staff(conn, scope)
        names, people = queries.store_names(conn, tenant_id), queries.staff_members(conn, tenant_id)
        joined, active = queries.chain_members(conn, tenant_id, days)
    chain = replace(sum(per_store.values(), Counts()), enrolments=joined, active_members=active)
    store_figures = {key: figures_of(counts) for key, counts in per_store.items()}
    stores = _ranked([(key, names.get(key, f"#{key}"), figures, key)
                      for key, figures in store_figures.items()], names, store_figures)
    cashiers = _ranked([(key, people.get(key, (f"#{key}", None))[0], figures_of(counts),
                         people.get(key, ("", None))[1])
                        for key, counts in per_staff.items()], names, store_figures)
    return Branches(currency=tenant.currency, first_day=period.first_day,
                    last_day=period.last_day, chain=figures_of(chain), stores=stores,
                    cashiers=cashiers,
                    no_cashier=_no_cashier(unnamed, stores, names, store_figures))
