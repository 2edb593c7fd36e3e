"""Experiments, their variants and the holdout share. Scoped by ``tenant_id``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from regulars.db.promotions.tables import experiment_variants, experiments, holdouts


@dataclass(frozen=True, kw_only=True)
class VariantRow:
    position: int
    name: str
    promotion_id: int


@dataclass(frozen=True, kw_only=True)
class ExperimentRow:
    id: int
    name: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    variants: tuple[VariantRow, ...]


def insert_experiment(conn: Connection, *, tenant_id: int, name: str,
                      variants: list[tuple[str, int]], now: datetime) -> int:
    """A running experiment with ``variants`` (name, promotion id) in order. Raises
    :class:`IntegrityError` when a promotion is a variant of another experiment already."""
    experiment_id = int(conn.execute(insert(experiments).values(
        tenant_id=tenant_id, name=name, status="running", started_at=now
    ).returning(experiments.c.id)).scalar_one())
    conn.execute(insert(experiment_variants), [
        {"tenant_id": tenant_id, "experiment_id": experiment_id, "position": i, "name": n,
         "promotion_id": p} for i, (n, p) in enumerate(variants)])
    return experiment_id


def _variants(conn: Connection, tenant_id: int, ids: list[int]
              ) -> dict[int, list[VariantRow]]:
    found: dict[int, list[VariantRow]] = {i: [] for i in ids}
    if not ids:
        return found
    v = experiment_variants
    for row in conn.execute(select(v.c.experiment_id, v.c.position, v.c.name, v.c.promotion_id)
                            .where(v.c.tenant_id == tenant_id, v.c.experiment_id.in_(ids))
                            .order_by(v.c.experiment_id, v.c.position)):
        found[int(row.experiment_id)].append(VariantRow(
            position=int(row.position), name=str(row.name), promotion_id=int(row.promotion_id)))
    return found


def list_experiments(conn: Connection, tenant_id: int, *,
                     experiment_id: int | None = None) -> list[ExperimentRow]:
    """The tenant's experiments, newest first (or the one asked for)."""
    query = select(experiments).where(experiments.c.tenant_id == tenant_id)
    if experiment_id is not None:
        query = query.where(experiments.c.id == experiment_id)
    rows = list(conn.execute(query.order_by(experiments.c.id.desc())))
    variants = _variants(conn, tenant_id, [int(r.id) for r in rows])
    return [ExperimentRow(id=int(r.id), name=str(r.name), status=str(r.status),
                          started_at=r.started_at, stopped_at=r.stopped_at,
                          variants=tuple(variants[int(r.id)])) for r in rows]


def stop(conn: Connection, tenant_id: int, experiment_id: int, now: datetime) -> bool:
    """Stop a running experiment; ``False`` if it was not running."""
    done = conn.execute(update(experiments).where(
        experiments.c.tenant_id == tenant_id, experiments.c.id == experiment_id,
        experiments.c.status == "running").values(status="stopped", stopped_at=now))
    return done.rowcount == 1


def running_arms(conn: Connection, tenant_id: int) -> list[tuple[int, int, int, int]]:
    """(promotion id, experiment id, position, variants in the experiment) of every variant
    of a running experiment."""
    v, e = experiment_variants, experiments
    counts = (select(v.c.experiment_id, func.count().label("n"))
              .where(v.c.tenant_id == tenant_id).group_by(v.c.experiment_id).subquery())
    query = (select(v.c.promotion_id, v.c.experiment_id, v.c.position, counts.c.n)
             .join(e, (e.c.tenant_id == tenant_id) & (e.c.id == v.c.experiment_id))
             .join(counts, counts.c.experiment_id == v.c.experiment_id)
             .where(v.c.tenant_id == tenant_id, e.c.status == "running"))
    return [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(query)]


def holdout_bp(conn: Connection, tenant_id: int) -> int:
    found = conn.execute(select(holdouts.c.share_bp).where(
        holdouts.c.tenant_id == tenant_id)).scalar_one_or_none()
    return 0 if found is None else int(found)


def set_holdout(conn: Connection, tenant_id: int, share_bp: int, now: datetime) -> None:
    values = {"share_bp": share_bp, "updated_at": now}
    done = conn.execute(update(holdouts).where(holdouts.c.tenant_id == tenant_id)
                        .values(**values))
    if done.rowcount == 1:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(holdouts).values(tenant_id=tenant_id, **values))
    except IntegrityError:  # a concurrent call made the row first: set ours on it
        conn.execute(update(holdouts).where(holdouts.c.tenant_id == tenant_id)
                     .values(**values))
