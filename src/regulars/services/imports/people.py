"""Who each imported row is: its identifiers made canonical (phone in E.164 in the tenant's
region, card as the till reads it), then the member they name found or, for nobody yet,
created in a batch with a points account and its identifiers.

Identifiers are tried in the order external id, phone, card: the first that names a member
decides, and a member found by phone or card without an external id gets the row's. Rows of
one batch that share any identifier are one new member.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection

from regulars.db.imports import history
from regulars.db.ledger import ops as ledger_ops
from regulars.domain.imports.fields import IDENTIFIERS
from regulars.domain.imports.rows import Problem, Who, problem
from regulars.errors import InvalidInput
from regulars.services.members.members import normalize_card, normalize_phone

Ids = tuple[tuple[str, str], ...]
"""A row's canonical identifiers as (kind, value) pairs, in :data:`IDENTIFIERS` order."""


def canonical(who: Who, *, row: int, region: str, header: dict[str, str]
              ) -> Ids | list[Problem]:
    """The row's identifiers made canonical, or a problem per identifier that is not valid
    (``header`` names the column each field came from)."""
    if not who.phone and not who.card:  # the common case: nothing to make canonical
        return (("external_id", who.external_id),) if who.external_id else ()
    pairs: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for kind in IDENTIFIERS:
        raw = getattr(who, kind)
        if not raw:
            continue
        try:
            if kind == "phone":
                raw = normalize_phone(raw, region)
            elif kind == "card":
                raw = normalize_card(raw)
        except InvalidInput as exc:
            problems.append(problem(row, header.get(kind, kind), exc.template, **exc.params))
            continue
        pairs.append((kind, raw))
    return problems or tuple(pairs)


@dataclass(frozen=True, kw_only=True)
class NewMember:
    """What a new member is made with besides its identifiers."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    birthday: date | None = None


@dataclass
class Directory:
    """The members an import has met so far, by identifier (kept across its batches)."""

    tenant_id: int
    store_id: int | None
    now: datetime
    known: dict[tuple[str, str], int] = field(default_factory=dict)
    created: int = 0
    matched: set[int] = field(default_factory=set)

    def resolve(self, conn: Connection, wanted: Sequence[tuple[Ids, NewMember]]
                ) -> list[int]:
        """The member of each of ``wanted`` (found, else created); ids in order."""
        self._look_up(conn, [ids for ids, _ in wanted])
        fresh: list[tuple[Ids, NewMember]] = []
        pending: dict[tuple[str, str], int] = {}
        for ids, profile in wanted:
            if self._found(ids) is None and not any(pair in pending for pair in ids):
                for pair in ids:
                    pending[pair] = len(fresh)
                fresh.append((ids, profile))
            elif self._found(ids) is None:
                slot = next(pending[pair] for pair in ids if pair in pending)
                for pair in ids:
                    pending.setdefault(pair, slot)
        new_ids = self._create(conn, fresh)
        for pair, slot in pending.items():
            self.known[pair] = new_ids[slot]
        return [self._remember(conn, ids) for ids, _ in wanted]

    def _found(self, ids: Ids) -> int | None:
        return next((self.known[pair] for pair in ids if pair in self.known), None)

    def _remember(self, conn: Connection, ids: Ids) -> int:
        member_id = self._found(ids)
        assert member_id is not None
        external = dict(ids).get("external_id")
        if external and ("external_id", external) not in self.known:
            history.set_external_ids(conn, self.tenant_id, [(member_id, external)])
        for pair in ids:
            self.known.setdefault(pair, member_id)
        return member_id

    def _look_up(self, conn: Connection, all_ids: Sequence[Ids]) -> None:
        for kind in IDENTIFIERS:
            values = sorted({v for ids in all_ids for k, v in ids
                             if k == kind and (k, v) not in self.known})
            if not values:
                continue
            for value, member_id in history.members_by(conn, self.tenant_id, kind,
                                                       values).items():
                self.known[(kind, value)] = member_id
                self.matched.add(member_id)

    def _create(self, conn: Connection, fresh: list[tuple[Ids, NewMember]]) -> list[int]:
        tokens = ["Q" + secrets.token_urlsafe(15) for _ in fresh]
        rows: list[dict[str, object]] = []
        for (ids, profile), token in zip(fresh, tokens, strict=True):
            named = dict(ids)
            rows.append({
                "tenant_id": self.tenant_id, "phone": named.get("phone"),
                "first_name": profile.first_name, "last_name": profile.last_name,
                "email": profile.email, "birthday": profile.birthday, "consent": "full",
                "profile": {}, "status": "active", "qr_token": token,
                "store_id": self.store_id, "created_at": self.now,
                "external_id": named.get("external_id")})
        member_ids = history.insert_members(conn, rows)
        ledger_ops.open_accounts(conn, self.tenant_id, member_ids)
        identifiers = [
            {"tenant_id": self.tenant_id, "member_id": member_id, "kind": kind, "value": value,
             "created_at": self.now}
            for (ids, _), token, member_id in zip(fresh, tokens, member_ids, strict=True)
            for kind, value in (*[(k, v) for k, v in ids if k != "external_id"],
                                ("qr", token))]
        history.add_identifiers(conn, identifiers)
        self.created += len(member_ids)
        return member_ids
