"""Certificate series, certificates and receipt tenders: reads and writes of this area's
tables (the ledger's are written through :mod:`regulars.db.ledger.ops` only; balances are
read from the accounts here). Every query is scoped by ``tenant_id``; another tenant's row is
not found. Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, case, func, insert, or_, select, update

from regulars.db.checkout.tables import receipts
from regulars.db.ledger.ops import EntryRecord, Lead
from regulars.db.ledger.tables import accounts, entries, postings
from regulars.db.stored_value.tables import certificate_series, certificates, receipt_tenders


@dataclass(frozen=True, kw_only=True)
class SeriesRow:
    id: int
    name: str
    nominal_values_minor: tuple[int, ...]
    min_minor: int | None
    max_minor: int | None
    valid_days: int
    store_ids: tuple[int, ...]
    multi_use: bool
    active: bool
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class CertificateRow:
    id: int
    series_id: int
    code_hint: str
    account_id: int
    nominal_minor: int
    status: str
    uses: int
    order_ref: str | None
    sale_receipt_id: int | None
    issued_at: datetime
    expires_at: datetime
    balance_minor: int


@dataclass(frozen=True, kw_only=True)
class TenderRow:
    id: int
    tender_no: int
    kind: str
    account_id: int
    certificate_id: int | None
    amount_minor: int
    returned_minor: int
    entry_id: int
    certificate_digest: str | None


def _series(row: Mapping[Any, Any]) -> SeriesRow:
    return SeriesRow(id=row["id"], name=row["name"],
                     nominal_values_minor=tuple(int(v) for v in row["nominal_values_minor"]),
                     min_minor=row["min_minor"], max_minor=row["max_minor"],
                     valid_days=row["valid_days"],
                     store_ids=tuple(int(v) for v in row["store_ids"]),
                     multi_use=bool(row["multi_use"]), active=bool(row["active"]),
                     created_at=row["created_at"])


def insert_series(conn: Connection, *, tenant_id: int, values: dict[str, Any],
                  now: datetime) -> int:
    return int(conn.execute(insert(certificate_series).values(
        tenant_id=tenant_id, created_at=now, active=True, **values)
        .returning(certificate_series.c.id)).scalar_one())


def update_series(conn: Connection, tenant_id: int, series_id: int,
                  values: dict[str, Any]) -> bool:
    return conn.execute(update(certificate_series).where(
        certificate_series.c.tenant_id == tenant_id, certificate_series.c.id == series_id)
        .values(**values)).rowcount == 1


def get_series(conn: Connection, tenant_id: int, series_id: int) -> SeriesRow | None:
    row = conn.execute(select(certificate_series).where(
        certificate_series.c.tenant_id == tenant_id,
        certificate_series.c.id == series_id)).one_or_none()
    return None if row is None else _series(row._mapping)


def list_series(conn: Connection, tenant_id: int) -> list[SeriesRow]:
    return [_series(r._mapping) for r in conn.execute(select(certificate_series).where(
        certificate_series.c.tenant_id == tenant_id).order_by(certificate_series.c.id))]


def insert_certificates(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Raises :class:`~regulars.db.engine.UniqueViolation` if a digest exists already."""
    return [int(i) for i in conn.execute(
        insert(certificates).returning(certificates.c.id, sort_by_parameter_order=True),
        list(rows)).scalars()]


_CERTIFICATE_COLUMNS = (
    certificates.c.id, certificates.c.series_id, certificates.c.code_hint,
    certificates.c.account_id, certificates.c.nominal_minor, certificates.c.status,
    certificates.c.uses, certificates.c.order_ref, certificates.c.sale_receipt_id,
    certificates.c.issued_at, certificates.c.expires_at,
    accounts.c.balance.label("balance_minor"))


def _certificate(row: Any) -> CertificateRow:
    return CertificateRow(**row._mapping)


def _certificate_query(tenant_id: int) -> Any:
    return (select(*_CERTIFICATE_COLUMNS)
            .join(accounts, accounts.c.id == certificates.c.account_id)
            .where(certificates.c.tenant_id == tenant_id))


def certificate_by_digest(conn: Connection, tenant_id: int,
                          digest: str) -> CertificateRow | None:
    row = conn.execute(_certificate_query(tenant_id).where(
        certificates.c.code_hash == digest)).one_or_none()
    return None if row is None else _certificate(row)


_SERIES_COLUMNS = tuple(column.label(f"of_series_{column.name}") for column in (
    certificate_series.c.id, certificate_series.c.name,
    certificate_series.c.nominal_values_minor, certificate_series.c.min_minor,
    certificate_series.c.max_minor, certificate_series.c.valid_days,
    certificate_series.c.store_ids, certificate_series.c.multi_use,
    certificate_series.c.active, certificate_series.c.created_at))


# Built once: a quote presenting a certificate only binds the tenant and the digest (a
# statement built on each call cost the quote a third of its Python calls).
_WITH_SERIES_BY_DIGEST = (
    select(*_CERTIFICATE_COLUMNS, *_SERIES_COLUMNS)
    .join(accounts, accounts.c.id == certificates.c.account_id)
    .join(certificate_series, certificate_series.c.id == certificates.c.series_id)
    .where(certificates.c.tenant_id == bindparam("of_tenant"),
           certificates.c.code_hash == bindparam("of_digest")))


def certificate_with_series_by_digest(conn: Connection, tenant_id: int, digest: str
                                      ) -> tuple[CertificateRow, SeriesRow] | None:
    """The certificate of a code's digest and its series, in one read (the tills' path)."""
    row = conn.execute(_WITH_SERIES_BY_DIGEST, {"of_tenant": tenant_id, "of_digest": digest}
                       ).one_or_none()
    return None if row is None else _with_series(row)


_CERTIFICATE_FIELDS = len(_CERTIFICATE_COLUMNS)
_WITH_SERIES_FIELDS = _CERTIFICATE_FIELDS + len(_SERIES_COLUMNS)

# The same read as a part of another statement (a quote's pricing read joins it ``ON true``,
# its columns last): the certificate of ``of_digest`` with its series, or a row of nulls.
PRESENTED = _WITH_SERIES_BY_DIGEST.subquery("presented")

Presented = tuple[CertificateRow, SeriesRow] | None
"""A certificate presented at a till and its series, ``None`` when its code is none of
the tenant's."""


def presented_certificate(row: Sequence[Any]) -> Presented:
    """The certificate and series of a row that ends with :data:`PRESENTED`'s columns."""
    return None if row[len(row) - _WITH_SERIES_FIELDS] is None else _with_series(row)


def _with_series(row: Sequence[Any]) -> tuple[CertificateRow, SeriesRow]:
    """The certificate and its series from a row that ends with ``_CERTIFICATE_COLUMNS``
    then ``_SERIES_COLUMNS`` (a debit's own columns come before them), read by place."""
    (id_, series_id, code_hint, account_id, nominal_minor, status, uses, order_ref,
     sale_receipt_id, issued_at, expires_at, balance_minor, of_id, name, nominal_values,
     min_minor, max_minor, valid_days, store_ids, multi_use, active,
     created_at) = row[len(row) - _WITH_SERIES_FIELDS:]
    return (CertificateRow(id=id_, series_id=series_id, code_hint=code_hint,
                           account_id=account_id, nominal_minor=nominal_minor, status=status,
                           uses=uses, order_ref=order_ref, sale_receipt_id=sale_receipt_id,
                           issued_at=issued_at, expires_at=expires_at,
                           balance_minor=balance_minor),
            SeriesRow(id=of_id, name=name,
                      nominal_values_minor=tuple(int(v) for v in nominal_values),
                      min_minor=min_minor, max_minor=max_minor, valid_days=valid_days,
                      store_ids=tuple(int(v) for v in store_ids), multi_use=bool(multi_use),
                      active=bool(active), created_at=created_at))


def take_for_tender(conn: Connection, tenant_id: int, digest: str
                    ) -> tuple[CertificateRow, SeriesRow] | None:
    """The certificate of a code's digest and its series, with one use counted on it: its
    row stays locked until the transaction ends, and ``uses`` is the count before this
    one. The caller refuses a certificate that may not pay (a single-use one with a use
    before this) and its transaction rolls back, the use with it. On PostgreSQL one
    ``UPDATE … RETURNING``: of two commits counting a use at once the second waits and sees
    the first's. On SQLite a read and the count, in a write transaction that already
    excludes every other writer."""
    if conn.dialect.name != "postgresql":
        found = certificate_with_series_by_digest(conn, tenant_id, digest)
        if found is not None:
            conn.execute(update(certificates).where(certificates.c.id == found[0].id)
                         .values(uses=certificates.c.uses + 1))
        return found
    row = conn.execute(_TAKE_FOR_TENDER_PG, {"of_tenant": tenant_id, "of_digest": digest}
                       ).one_or_none()
    return None if row is None else _with_series(row)


# Built once: a till's commit only binds the tenant and the digest.
_TAKE_FOR_TENDER_PG = (
    update(certificates)
    .where(certificates.c.tenant_id == bindparam("of_tenant"),
           certificates.c.code_hash == bindparam("of_digest"),
           accounts.c.id == certificates.c.account_id,
           certificate_series.c.id == certificates.c.series_id)
    .values(uses=certificates.c.uses + 1)
    .returning(*((certificates.c.uses - 1).label("uses") if column is certificates.c.uses
                 else column for column in _CERTIFICATE_COLUMNS), *_SERIES_COLUMNS))


# The same statement as the first of a debit's (see :func:`tender_lead`).
_TENDER_LEAD = _TAKE_FOR_TENDER_PG.cte("taken")


def tender_lead(conn: Connection, tenant_id: int, digest: str) -> Lead | None:
    """:func:`take_for_tender` as a lead of the debit of the certificate's account
    (:func:`regulars.db.ledger.ops.pay_led`): the certificate, its use counted, and the
    debit in one statement; read its row with :func:`led_certificate`. ``None`` on SQLite,
    where the read, the count and the debit stay apart."""
    if conn.dialect.name != "postgresql":
        return None
    return Lead(cte=_TENDER_LEAD, params={"of_tenant": tenant_id, "of_digest": digest})


def led_certificate(row: Row[Any]) -> tuple[CertificateRow, SeriesRow]:
    """The certificate and its series from a row of :func:`tender_lead`'s debit (``uses``
    the count before this one, ``balance_minor`` the balance before the debit)."""
    return _with_series(row)


def certificate_by_link(conn: Connection, tenant_id: int,
                        link_hash: str) -> CertificateRow | None:
    row = conn.execute(_certificate_query(tenant_id).where(
        certificates.c.link_hash == link_hash)).one_or_none()
    return None if row is None else _certificate(row)


def get_certificate(conn: Connection, tenant_id: int,
                    certificate_id: int) -> CertificateRow | None:
    row = conn.execute(_certificate_query(tenant_id).where(
        certificates.c.id == certificate_id)).one_or_none()
    return None if row is None else _certificate(row)


def of_member(conn: Connection, tenant_id: int, member_id: int, *,
              limit: int) -> list[CertificateRow]:
    """The member's gift cards, newest first: those sold on one of their receipts and those
    that paid one; cards not sold yet and void ones left out."""
    theirs = select(receipts.c.id).where(receipts.c.tenant_id == tenant_id,
                                         receipts.c.member_id == member_id)
    paid = select(receipt_tenders.c.certificate_id).where(
        receipt_tenders.c.tenant_id == tenant_id, receipt_tenders.c.receipt_id.in_(theirs),
        receipt_tenders.c.certificate_id.is_not(None))
    query = _certificate_query(tenant_id).where(
        certificates.c.status.not_in(("pending", "void")),
        or_(certificates.c.sale_receipt_id.in_(theirs), certificates.c.id.in_(paid)))
    return [_certificate(r) for r in conn.execute(
        query.order_by(certificates.c.id.desc()).limit(limit))]


def list_certificates(conn: Connection, tenant_id: int, *, series_id: int | None,
                      limit: int) -> list[CertificateRow]:
    query = _certificate_query(tenant_id)
    if series_id is not None:
        query = query.where(certificates.c.series_id == series_id)
    return [_certificate(r) for r in conn.execute(
        query.order_by(certificates.c.id.desc()).limit(limit))]


def set_status(conn: Connection, tenant_id: int, certificate_id: int, status: str, *,
               only_from: Sequence[str]) -> bool:
    """Move a certificate to ``status`` if it is in one of ``only_from``; whether it did."""
    return conn.execute(update(certificates).where(
        certificates.c.tenant_id == tenant_id, certificates.c.id == certificate_id,
        certificates.c.status.in_(list(only_from))).values(status=status)).rowcount == 1


def set_link(conn: Connection, tenant_id: int, certificate_id: int, link_hash: str, *,
             only_from: Sequence[str]) -> bool:
    """Give a certificate in one of ``only_from`` a new public link's digest; whether it
    did (the old link names none from now on)."""
    return conn.execute(update(certificates).where(
        certificates.c.tenant_id == tenant_id, certificates.c.id == certificate_id,
        certificates.c.status.in_(list(only_from))).values(link_hash=link_hash)).rowcount == 1


def take_use(conn: Connection, tenant_id: int, certificate_id: int, *,
             single_use: bool) -> bool:
    """Count a receipt paid by the certificate; a single-use one only if it has none yet
    (one conditional update: of two concurrent commits one wins)."""
    query = update(certificates).where(certificates.c.tenant_id == tenant_id,
                                       certificates.c.id == certificate_id)
    if single_use:
        query = query.where(certificates.c.uses == 0)
    return conn.execute(query.values(uses=certificates.c.uses + 1)).rowcount == 1


def give_use_back(conn: Connection, tenant_id: int, certificate_id: int) -> None:
    conn.execute(update(certificates).where(
        certificates.c.tenant_id == tenant_id, certificates.c.id == certificate_id,
        certificates.c.uses > 0).values(uses=certificates.c.uses - 1))


def tender_record(tenant_id: int, receipt_id: int, *, tender_no: int, kind: str,
                  account_id: int, certificate_id: int | None,
                  amount_minor: int) -> EntryRecord:
    """A receipt's tender row, written with the entry that pays it (see
    :func:`regulars.db.ledger.ops.pay`)."""
    return EntryRecord(table=receipt_tenders, values={
        "tenant_id": tenant_id, "receipt_id": receipt_id, "tender_no": tender_no,
        "kind": kind, "account_id": account_id, "certificate_id": certificate_id,
        "amount_minor": amount_minor})


def tenders_of(conn: Connection, tenant_id: int, receipt_id: int) -> list[TenderRow]:
    t = receipt_tenders
    return [TenderRow(**r._mapping) for r in conn.execute(
        select(t.c.id, t.c.tender_no, t.c.kind, t.c.account_id, t.c.certificate_id,
               t.c.amount_minor, t.c.returned_minor, t.c.entry_id,
               certificates.c.code_hash.label("certificate_digest"))
        .outerjoin(certificates, certificates.c.id == t.c.certificate_id)
        .where(t.c.tenant_id == tenant_id, t.c.receipt_id == receipt_id)
        .order_by(t.c.tender_no))]


def add_returned(conn: Connection, tenant_id: int, tender_id: int, amount_minor: int) -> None:
    conn.execute(update(receipt_tenders).where(
        receipt_tenders.c.tenant_id == tenant_id, receipt_tenders.c.id == tender_id)
        .values(returned_minor=receipt_tenders.c.returned_minor + amount_minor))


def balance_of(conn: Connection, tenant_id: int, account_id: int) -> int:
    return int(conn.execute(select(accounts.c.balance).where(
        accounts.c.tenant_id == tenant_id, accounts.c.id == account_id)).scalar_one())


def series_report(conn: Connection, tenant_id: int) -> list[dict[str, int]]:
    """Per series: the certificates sold or issued and their nominal sum (a void one, its
    sale refunded unused, is not counted), the balance outstanding on them, the cards for
    sale not sold yet and their nominal sum, and counts by status."""
    status = certificates.c.status
    issued = status.not_in(("pending", "void"))
    pending = status == "pending"
    query = (select(
        certificates.c.series_id,
        func.coalesce(func.sum(case((issued, 1), else_=0)), 0).label("issued"),
        func.coalesce(func.sum(case((issued, certificates.c.nominal_minor), else_=0)),
                      0).label("issued_minor"),
        func.coalesce(func.sum(case((issued, accounts.c.balance), else_=0)),
                      0).label("outstanding_minor"),
        func.coalesce(func.sum(case((pending, 1), else_=0)), 0).label("unsold"),
        func.coalesce(func.sum(case((pending, certificates.c.nominal_minor), else_=0)),
                      0).label("unsold_minor"),
        func.coalesce(func.sum(case((status == "blocked", 1), else_=0)), 0).label("blocked"),
        func.coalesce(func.sum(case((status == "void", 1), else_=0)), 0).label("void"))
        .join(accounts, accounts.c.id == certificates.c.account_id)
        .where(certificates.c.tenant_id == tenant_id)
        .group_by(certificates.c.series_id).order_by(certificates.c.series_id))
    return [{k: int(v) for k, v in r._mapping.items()} for r in conn.execute(query)]


def moved_by_series(conn: Connection, tenant_id: int) -> dict[tuple[int, str], int]:
    """Money moved out of (positive) or back into (negative) the certificates of each series,
    by entry code: ``tender``, ``refund_tender``, ``void``, ``expire``, ``deactivate``."""
    query = (select(certificates.c.series_id, entries.c.code,
                    func.sum(-postings.c.amount).label("amount"))
             .join(postings, postings.c.account_id == certificates.c.account_id)
             .join(entries, entries.c.id == postings.c.entry_id)
             .where(certificates.c.tenant_id == tenant_id, postings.c.tenant_id == tenant_id,
                    entries.c.code != "issue")
             .group_by(certificates.c.series_id, entries.c.code))
    return {(int(r.series_id), str(r.code)): abs(int(r.amount)) for r in conn.execute(query)}


def liability(conn: Connection, tenant_id: int, asset: str) -> tuple[int, int]:
    """(money held on certificates, money held in members' wallets) of ``asset``."""
    on_certificates = conn.execute(
        select(func.coalesce(func.sum(accounts.c.balance), 0))
        .join(certificates, certificates.c.account_id == accounts.c.id)
        .where(accounts.c.tenant_id == tenant_id, accounts.c.asset == asset)).scalar_one()
    in_wallets = conn.execute(
        select(func.coalesce(func.sum(accounts.c.balance), 0))
        .where(accounts.c.tenant_id == tenant_id, accounts.c.asset == asset,
               accounts.c.member_id.is_not(None))).scalar_one()
    return int(on_certificates), int(in_wallets)


def wallet_account(conn: Connection, tenant_id: int, member_id: int, asset: str) -> int | None:
    found = conn.execute(select(accounts.c.id).where(
        accounts.c.tenant_id == tenant_id, accounts.c.member_id == member_id,
        accounts.c.asset == asset)).scalar_one_or_none()
    return None if found is None else int(found)


def activate(conn: Connection, tenant_id: int, certificate_id: int, *, nominal_minor: int,
             receipt_id: int, expires_at: datetime) -> bool:
    """Mark a pending card sold on ``receipt_id``; whether it was still pending (of two
    tills selling one card at once, one wins)."""
    return conn.execute(update(certificates).where(
        certificates.c.tenant_id == tenant_id, certificates.c.id == certificate_id,
        certificates.c.status == "pending").values(
        status="active", nominal_minor=nominal_minor, sale_receipt_id=receipt_id,
        expires_at=expires_at)).rowcount == 1


def take_sold_on(conn: Connection, tenant_id: int, receipt_id: int) -> list[CertificateRow]:
    """The cards sold on ``receipt_id``, locked in the order of their digests (the order a
    tender takes certificates in, so that a refund of the sale and a receipt paying with its
    cards wait for each other instead of deadlocking), then read under that lock: a use or
    debit committed before the lock was granted is seen. On SQLite the write transaction
    excludes every other writer already."""
    t = certificates.c
    locked = conn.execute(select(t.id).where(t.tenant_id == tenant_id,
                                             t.sale_receipt_id == receipt_id)
                          .order_by(t.code_hash).with_for_update()).all()
    if not locked:
        return []
    # A statement of its own: its snapshot is taken after the locks were granted.
    return [_certificate(r) for r in conn.execute(_certificate_query(tenant_id).where(
        t.id.in_([row.id for row in locked])).order_by(t.account_id))]


def move_tenders(conn: Connection, tenant_id: int, from_account_id: int,
                 to_account_id: int) -> None:
    """Point the tenders paid from one wallet at another (a merge moved its lots there), so
    that a later refund restores into the wallet that now holds them."""
    conn.execute(update(receipt_tenders).where(
        receipt_tenders.c.tenant_id == tenant_id,
        receipt_tenders.c.account_id == from_account_id).values(account_id=to_account_id))
