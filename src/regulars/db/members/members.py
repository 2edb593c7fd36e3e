"""Members and their identifiers (phone, card, QR token). Identifiers are unique per tenant,
which is what keeps one customer from holding two cards.

Identifiers are stored sealed and found by their blind index (:mod:`regulars.db.personal`):
every function here takes and returns them in the clear, and a member row opens its phone
number and QR token only when they are read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update

from regulars.db import personal
from regulars.db.analytics import days as day_totals
from regulars.db.ledger.tables import accounts, entries
from regulars.db.members.tables import member_identifiers, members


@dataclass(frozen=True, kw_only=True)
class MemberRow:
    id: int
    tenant_id: int
    phone_sealed: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    birthday: date | None
    consent: str
    profile: dict[str, Any]
    status: str
    merged_into_id: int | None
    level_floor_code: str | None
    qr_sealed: str
    created_at: datetime
    erased_at: datetime | None
    account_id: int
    balance: int
    held: int
    debt: int

    @cached_property
    def phone(self) -> str | None:
        """The phone number (E.164), opened on first read: a quote that shows no phone
        decrypts nothing."""
        return personal.unseal_optional(self.phone_sealed)

    @cached_property
    def qr_token(self) -> str:
        return personal.unseal(self.qr_sealed)


_MEMBER_COLUMNS = (
    members.c.id, members.c.tenant_id, members.c.phone_sealed, members.c.first_name,
    members.c.last_name, members.c.email, members.c.birthday, members.c.consent,
    members.c.profile, members.c.status, members.c.merged_into_id, members.c.level_floor_code,
    members.c.qr_sealed, members.c.created_at, members.c.erased_at,
    accounts.c.id.label("account_id"),
    accounts.c.balance, accounts.c.held, accounts.c.debt,
)


def _member_select() -> Any:
    return select(*_MEMBER_COLUMNS).join(
        accounts, and_(accounts.c.member_id == members.c.id, accounts.c.asset == "points"))


def member_columns() -> tuple[Any, ...]:
    """The columns :func:`row_to_member` reads (of ``members`` joined to its points account)."""
    return _MEMBER_COLUMNS


def row_to_member(row: Any) -> MemberRow:
    columns = row._mapping  # a property that makes a new mapping each time it is read
    return MemberRow(**{k: columns[k] for k in MemberRow.__dataclass_fields__})


_row = row_to_member


def insert_member(conn: Connection, *, tenant_id: int, phone: str | None,
                  first_name: str | None, last_name: str | None, email: str | None,
                  birthday: date | None, consent: str, profile: dict[str, Any],
                  referrer_id: int | None, qr_token: str, store_id: int | None,
                  now: datetime, staff_id: int | None = None) -> int:
    """A new member who joined at ``now`` (counted among the day's new members); the id."""
    member_id = int(conn.execute(insert(members).values(
        tenant_id=tenant_id, **phone_columns(tenant_id, phone), first_name=first_name,
        last_name=last_name, email=email, birthday=birthday, consent=consent, profile=profile,
        referrer_id=referrer_id, status="active", qr_sealed=personal.seal(qr_token),
        store_id=store_id, staff_id=staff_id, created_at=now).returning(members.c.id)
        ).scalar_one())
    day_totals.add_joined(conn, tenant_id, at=now, store_id=store_id)
    return member_id


def phone_columns(tenant_id: int, phone: str | None) -> dict[str, str | None]:
    """The ``members`` columns that hold ``phone`` (E.164 or ``None``): sealed and indexed."""
    return {"phone_sealed": personal.seal_optional(phone),
            "phone_index": personal.blind_index_optional(tenant_id, "phone", phone)}


def identifier_columns(tenant_id: int, kind: str, value: str) -> dict[str, str]:
    """The ``member_identifiers`` columns that hold ``value``: its blind index and sealed."""
    return identifiers_columns([(tenant_id, kind, value)])[0]


def identifiers_columns(values: Sequence[tuple[int, str, str]]) -> list[dict[str, str]]:
    """:func:`identifier_columns` of each (tenant id, kind, value), sealed as a batch."""
    keys = personal.keys()
    sealed = keys.seal_many([value for _, _, value in values])
    return [{"value_index": keys.index(tenant_id, kind, value), "value_sealed": one}
            for (tenant_id, kind, value), one in zip(values, sealed, strict=True)]


def add_identifier(conn: Connection, *, tenant_id: int, member_id: int, kind: str, value: str,
                   now: datetime) -> None:
    """Raises the database's unique violation if the identifier belongs to anyone already."""
    conn.execute(insert(member_identifiers).values(
        tenant_id=tenant_id, member_id=member_id, kind=kind,
        **identifier_columns(tenant_id, kind, value), created_at=now))


def identifier_owner(conn: Connection, tenant_id: int, kind: str, value: str) -> int | None:
    return conn.execute(select(member_identifiers.c.member_id).where(
        member_identifiers.c.tenant_id == tenant_id, member_identifiers.c.kind == kind,
        member_identifiers.c.value_index == personal.blind_index(tenant_id, kind, value))
    ).scalar_one_or_none()


# Built once: on the hot path of every quote and commit, and building a Core statement costs
# more Python than executing a cached one.
_FIND_MEMBER = (
    _member_select()
    .join(member_identifiers, member_identifiers.c.member_id == members.c.id)
    .where(member_identifiers.c.tenant_id == bindparam("tenant_id"),
           member_identifiers.c.kind == bindparam("kind"),
           member_identifiers.c.value_index == bindparam("value_index")))
_GET_MEMBER = _member_select().where(members.c.tenant_id == bindparam("tenant_id"),
                                     members.c.id == bindparam("member_id"))


def find_member(conn: Connection, tenant_id: int, kind: str, value: str) -> MemberRow | None:
    """The member an identifier belongs to, in one indexed query (one HMAC, no decryption)."""
    row = conn.execute(_FIND_MEMBER, {
        "tenant_id": tenant_id, "kind": kind,
        "value_index": personal.blind_index(tenant_id, kind, value)}).one_or_none()
    return _row(row) if row else None


def get_member(conn: Connection, tenant_id: int, member_id: int) -> MemberRow | None:
    row = conn.execute(_GET_MEMBER, {"tenant_id": tenant_id,
                                     "member_id": member_id}).one_or_none()
    return _row(row) if row else None


def live_member(conn: Connection, tenant_id: int, member_id: int) -> MemberRow | None:
    """:func:`get_member`, except that an erased member is ``None``: nothing changes a shell."""
    row = get_member(conn, tenant_id, member_id)
    return row if row is None or row.erased_at is None else None


def identifiers_of(conn: Connection, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """The member's identifiers in the clear (kind, value, created_at), oldest first."""
    return [{"kind": r.kind, "value": personal.unseal(r.value_sealed),
             "created_at": r.created_at} for r in conn.execute(
        select(member_identifiers.c.kind, member_identifiers.c.value_sealed,
               member_identifiers.c.created_at)
        .where(member_identifiers.c.tenant_id == tenant_id,
               member_identifiers.c.member_id == member_id)
        .order_by(member_identifiers.c.id))]


def move_identifiers(conn: Connection, tenant_id: int, from_id: int, to_id: int) -> None:
    conn.execute(update(member_identifiers).where(
        member_identifiers.c.tenant_id == tenant_id, member_identifiers.c.member_id == from_id,
        member_identifiers.c.kind != "qr").values(member_id=to_id))


def update_member(conn: Connection, tenant_id: int, member_id: int, **values: Any) -> None:
    """Set columns of the member's row; ``phone`` (E.164 or ``None``) is sealed and indexed."""
    if "phone" in values:
        values.update(phone_columns(tenant_id, values.pop("phone")))
    conn.execute(update(members).where(members.c.tenant_id == tenant_id,
                                       members.c.id == member_id).values(**values))


def mark_merged(conn: Connection, tenant_id: int, member_id: int, *, into_id: int) -> None:
    """The active member ``member_id`` becomes a tombstone that resolves to ``into_id``,
    without a phone number, and leaves the new members of the day they joined."""
    row = conn.execute(update(members).where(
        members.c.tenant_id == tenant_id, members.c.id == member_id,
        members.c.status == "active").values(
        status="merged", merged_into_id=into_id, **phone_columns(tenant_id, None))
        .returning(members.c.created_at, members.c.store_id)).one_or_none()
    if row is not None:
        day_totals.add_joined(conn, tenant_id, at=row.created_at, store_id=row.store_id,
                              members=-1)


def search_members(conn: Connection, tenant_id: int, *, text: str | None, limit: int,
                   offset: int) -> list[MemberRow]:
    """Active members whose first or last name contains ``text``. A phone number is sealed,
    so no part of it matches: the caller finds a whole number through its blind index."""
    query = _member_select().where(members.c.tenant_id == tenant_id,
                                   members.c.status == "active", members.c.erased_at.is_(None))
    if text:
        pattern = f"%{_like_literal(text.lower())}%"
        query = query.where(or_(func.lower(members.c.first_name).like(pattern, escape="\\"),
                                func.lower(members.c.last_name).like(pattern, escape="\\")))
    rows = conn.execute(query.order_by(members.c.id).limit(limit).offset(offset))
    return [_row(r) for r in rows]


def _like_literal(text: str) -> str:
    """``text`` matched as itself by LIKE ... ESCAPE '\\': ``%`` and ``_`` are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count_members(conn: Connection, tenant_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(members).where(
        members.c.tenant_id == tenant_id, members.c.status == "active",
        members.c.erased_at.is_(None))).scalar_one())


def history(conn: Connection, tenant_id: int, member_id: int, *, limit: int,
            before_id: int | None, asset: str | None) -> list[dict[str, Any]]:
    """The member's entries, newest first: of ``asset`` only (``points``: the points history;
    the wallet's and gift cards' money is another asset), or of every asset (``None``)."""
    query = (select(entries.c.id, entries.c.code, entries.c.points, entries.c.memo,
                    entries.c.receipt_id, entries.c.store_id, entries.c.terminal_id,
                    entries.c.program_version, entries.c.occurred_at, entries.c.recorded_at,
                    entries.c.asset)
             .where(entries.c.tenant_id == tenant_id, entries.c.member_id == member_id))
    if asset is not None:
        query = query.where(entries.c.asset == asset)
    if before_id is not None:
        query = query.where(entries.c.id < before_id)
    return [dict(r._mapping) for r in conn.execute(query.order_by(entries.c.id.desc())
                                                   .limit(limit))]


def remove_identifier(conn: Connection, tenant_id: int, member_id: int, kind: str,
                      value: str) -> bool:
    """Take an identifier (a lost card) from its member; False when the member has no such
    identifier."""
    return conn.execute(delete(member_identifiers).where(
        member_identifiers.c.tenant_id == tenant_id,
        member_identifiers.c.member_id == member_id, member_identifiers.c.kind == kind,
        member_identifiers.c.value_index == personal.blind_index(tenant_id, kind, value))
    ).rowcount == 1


def set_phone(conn: Connection, tenant_id: int, member_id: int, phone: str,
              now: datetime) -> None:
    """The member's phone number becomes ``phone`` (E.164), as their identifier too; a number
    that is another member's raises the database's unique violation."""
    conn.execute(delete(member_identifiers).where(
        member_identifiers.c.tenant_id == tenant_id,
        member_identifiers.c.member_id == member_id, member_identifiers.c.kind == "phone"))
    add_identifier(conn, tenant_id=tenant_id, member_id=member_id, kind="phone", value=phone,
                   now=now)
    update_member(conn, tenant_id, member_id, phone=phone)


def erase_member(conn: Connection, tenant_id: int, member_id: int, *, qr_token: str,
                 now: datetime) -> bool:
    """Erase a member's identifiers and profile, keeping the row as an anonymous shell (its
    accounts, receipts and entries refer to it): phone, names, e-mail, birthday, profile,
    referral code, device hash, language and external id are cleared, the QR token replaced
    by ``qr_token`` (a random one nobody holds), consent withdrawn, and every identifier row
    deleted. False when the member was erased already (nothing changes then)."""
    done = conn.execute(update(members).where(
        members.c.tenant_id == tenant_id, members.c.id == member_id,
        members.c.erased_at.is_(None)).values(
        phone_sealed=None, phone_index=None, first_name=None, last_name=None, email=None,
        birthday=None, consent="none", profile={}, referral_code=None, device_hash=None,
        locale=None, external_id=None, qr_sealed=personal.seal(qr_token),
        erased_at=now)).rowcount == 1
    if done:
        conn.execute(delete(member_identifiers).where(
            member_identifiers.c.tenant_id == tenant_id,
            member_identifiers.c.member_id == member_id))
    return done


def member_record(conn: Connection, tenant_id: int, member_id: int) -> dict[str, Any] | None:
    """Every column of the member's row (for an export of what is held about them), the
    phone number and QR token opened in place of their sealed and indexed columns."""
    row = conn.execute(select(members).where(members.c.tenant_id == tenant_id,
                                             members.c.id == member_id)).one_or_none()
    if row is None:
        return None
    record = dict(row._mapping)
    record["phone"] = personal.unseal_optional(record.pop("phone_sealed"))
    record["qr_token"] = personal.unseal(record.pop("qr_sealed"))
    del record["phone_index"]
    return record


def member_accounts(conn: Connection, tenant_id: int, member_id: int) -> list[dict[str, Any]]:
    """The member's accounts (points and each wallet): asset, balance, held and debt."""
    return [dict(r._mapping) for r in conn.execute(
        select(accounts.c.asset, accounts.c.balance, accounts.c.held, accounts.c.debt)
        .where(accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id)
        .order_by(accounts.c.id))]
