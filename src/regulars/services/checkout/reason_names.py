"""The names a reason's sentence reads in place of the ids it keeps.

A stored reason (``{"code": ..., "params": {...}}``) keeps the ids of the member, catalogue
reward and coupon series it speaks of, the machine's way to find them again; the sentence a
person reads names them: a member by name, else by the last digits of the phone, a reward by
its title in the reader's language, a series by its name. The names are looked up when the
reasons are read, not stored with them, so a renamed reward reads as it is called now and an
erased member's name is gone from every sentence too. A reason that already carries a name
keeps it; an id with nothing left to name it (an erased member) reads as the id
(:func:`regulars.text.wording.render_code`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from regulars.db.promotions import coupons
from regulars.db.rewards import catalog
from regulars.domain.checkout.quote import Explanation
from regulars.services.members import members
from regulars.text.wording import NAMED

Reason = Mapping[str, Any]


def named(conn: Connection, tenant_id: int, why: Sequence[Reason], *,
          language: str) -> list[Reason]:
    """``why`` with a name beside each id it keeps that has none, in ``language``."""
    return named_each(conn, tenant_id, [why], language=language)[0]


def named_each(conn: Connection, tenant_id: int, whys: Sequence[Sequence[Reason]], *,
               language: str) -> list[list[Reason]]:
    """:func:`named` for several entries' reasons, each name looked up once."""
    wanted: dict[str, set[int]] = {}
    for why in whys:
        for reason in why:
            params = reason.get("params") or {}
            for id_name, name in NAMED.items():
                value = params.get(id_name)
                if isinstance(value, int) and name not in params:
                    wanted.setdefault(id_name, set()).add(value)
    if not wanted:
        return [list(why) for why in whys]
    found = {id_name: _names(conn, tenant_id, id_name, ids, language)
             for id_name, ids in wanted.items()}
    return [[_with_names(reason, found) for reason in why] for why in whys]


def coupons_named(conn: Connection, tenant_id: int,
                  explanations: tuple[Explanation, ...]) -> tuple[Explanation, ...]:
    """A quote's ``explanations`` with the name of the coupon series each promotion that
    issues a coupon announces (the promotion's effect knows the series by id only)."""
    if not any(e.code == "promotion_coupon" for e in explanations):
        return explanations
    named: list[Explanation] = []
    for e in explanations:
        series_id = dict(e.params).get("series_id")
        name = (_series(conn, tenant_id, series_id)
                if e.code == "promotion_coupon" and isinstance(series_id, int) else None)
        named.append(e if name is None else replace(e, params=(*e.params, ("series", name))))
    return tuple(named)


def _with_names(reason: Reason, found: Mapping[str, Mapping[int, str]]) -> Reason:
    params = reason.get("params") or {}
    extra = {NAMED[id_name]: names[params[id_name]] for id_name, names in found.items()
             if params.get(id_name) in names and NAMED[id_name] not in params}
    return {**reason, "params": {**params, **extra}} if extra else reason


def _names(conn: Connection, tenant_id: int, id_name: str, ids: Iterable[int],
           language: str) -> dict[int, str]:
    look_up: Callable[[int], str | None] = {
        "source_id": lambda i: members.named(conn, tenant_id, i),
        "member_id": lambda i: members.named(conn, tenant_id, i),
        "reward_id": lambda i: _reward(conn, tenant_id, i, language),
        "series_id": lambda i: _series(conn, tenant_id, i),
    }[id_name]
    return {i: name for i in sorted(ids) if (name := look_up(i))}


def _reward(conn: Connection, tenant_id: int, reward_id: int, language: str) -> str | None:
    row = catalog.get_reward(conn, tenant_id, reward_id)
    if row is None:
        return None
    titles: dict[str, str] = dict(row["titles"] or {})
    return (titles.get(language) or titles.get("en")
            or next(iter(titles.values()), None))


def _series(conn: Connection, tenant_id: int, series_id: int) -> str | None:
    row = coupons.get_series(conn, tenant_id, series_id)
    return None if row is None else row.name
