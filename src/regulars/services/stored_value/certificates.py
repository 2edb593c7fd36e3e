"""Gift certificates for the owner: series, bulk issue (a corporate order), look-up by code,
blocking a lost one, and the report of what was sold, used, expired and is outstanding.

Each certificate is a money account of the tenant's currency on the ledger, with no member;
issuing one is an ``issue`` entry from the asset's ``issued`` account into it, whose lot
expires with the certificate (the expiry run moves what is left to ``expired``: breakage).
Codes are those of coupons (:mod:`regulars.domain.codes`), under the same tenant key, shown
once in the answer that issues them; only their keyed digests and last four characters are
kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext
from regulars.db.promotions import coupons as coupon_store
from regulars.db.stored_value import certificates as store
from regulars.db.stored_value import wallets as wallet_store
from regulars.db.tenancy import tenancy
from regulars.domain import codes
from regulars.domain.ledger.assets import Asset, money
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.certificates import SeriesTerms, Status
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.checkout.idempotency import first_or_stored
from regulars.services.promotions.coupons import secret_key
from regulars.services.runtime import Runtime
from regulars.services.stored_value.results import (
    CertificateStatement,
    CertificateView,
    IssuedCertificates,
    MoneyLine,
    SeriesReport,
    SeriesView,
    StoredValueReport,
)

MAX_ISSUE_PER_CALL = 1000
ISSUE_SCOPE = "certificate_issue"  # the idempotency scope of a bulk issue's form token
MAX_LISTED = 500
MEMBER_CERTIFICATES = 100  # the gift cards a member's wallet lists, newest first


def asset_of(tenant: tenancy.TenantRow) -> Asset:
    return money(tenant.currency)


def _tenant(conn: Connection, tenant_id: int) -> tenancy.TenantRow:
    tenant = tenancy.get_tenant(conn, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


def terms_of(row: store.SeriesRow) -> SeriesTerms:
    return SeriesTerms(name=row.name, nominal_values_minor=row.nominal_values_minor,
                       min_minor=row.min_minor, max_minor=row.max_minor,
                       valid_days=row.valid_days, store_ids=row.store_ids,
                       multi_use=row.multi_use)


def certificate_view(row: store.CertificateRow) -> CertificateView:
    # A pending card's stored expiry is a placeholder: its sale sets the real one.
    pending = row.status == Status.PENDING.value
    return CertificateView(id=row.id, series_id=row.series_id, code_ending=row.code_hint,
                           nominal_minor=row.nominal_minor, balance_minor=row.balance_minor,
                           status=row.status, uses=row.uses, order_ref=row.order_ref,
                           issued_at=row.issued_at,
                           expires_at=None if pending else row.expires_at)


def _check_stores(conn: Connection, tenant_id: int, store_ids: tuple[int, ...]) -> None:
    known = {int(s["id"]) for s in tenancy.list_stores(conn, tenant_id)}
    for index, store_id in enumerate(store_ids):
        if store_id not in known:
            raise InvalidInput("no such store", field=f"store_ids.{index}")


def _values(terms: SeriesTerms) -> dict[str, Any]:
    return {"name": terms.name.strip(),
            "nominal_values_minor": sorted(terms.nominal_values_minor),
            "min_minor": terms.min_minor, "max_minor": terms.max_minor,
            "valid_days": terms.valid_days, "store_ids": sorted(set(terms.store_ids)),
            "multi_use": terms.multi_use}


def create_series(rt: Runtime, tenant_id: int, terms: SeriesTerms, *,
                  actor: audit.Actor) -> SeriesView:
    """A new series, on the audit trail. Raises :class:`InvalidInput` naming a store that is
    not the tenant's."""
    now = rt.now()
    with rt.db.write() as conn:
        _check_stores(conn, tenant_id, terms.store_ids)
        series_id = store.insert_series(conn, tenant_id=tenant_id, values=_values(terms),
                                        now=now)
        secret_key(conn, tenant_id, now)
        audit.record(conn, tenant_id, actor, "certificate_series.open",
                     f"certificate series {series_id}", at=now, name=terms.name,
                     nominal_values_minor=list(terms.nominal_values_minor),
                     valid_days=terms.valid_days)
        row = store.get_series(conn, tenant_id, series_id)
        assert row is not None
        return row


def update_series(rt: Runtime, tenant_id: int, series_id: int, terms: SeriesTerms, *,
                  active: bool, actor: audit.Actor) -> SeriesView:
    """Change a series' terms for certificates issued from now on (issued ones keep their
    amount and expiry; store limits and single use apply to all), on the audit trail.
    Raises :class:`NotFound`."""
    with rt.db.write() as conn:
        _check_stores(conn, tenant_id, terms.store_ids)
        if not store.update_series(conn, tenant_id, series_id,
                                   {**_values(terms), "active": active}):
            raise NotFound("certificate series not found")
        audit.record(conn, tenant_id, actor, "certificate_series.change",
                     f"certificate series {series_id}", at=rt.now(), name=terms.name,
                     nominal_values_minor=list(terms.nominal_values_minor),
                     valid_days=terms.valid_days, active=active)
        row = store.get_series(conn, tenant_id, series_id)
        assert row is not None
        return row


def require_series(conn: Connection, tenant_id: int, series_id: int) -> store.SeriesRow:
    row = store.get_series(conn, tenant_id, series_id)
    if row is None:
        raise NotFound("certificate series not found", field="series_id")
    return row


def get_series(rt: Runtime, tenant_id: int, series_id: int) -> SeriesView:
    with rt.db.read() as conn:
        return require_series(conn, tenant_id, series_id)


def list_series(rt: Runtime, tenant_id: int) -> tuple[SeriesView, ...]:
    with rt.db.read() as conn:
        return tuple(store.list_series(conn, tenant_id))


@dataclass(frozen=True, kw_only=True)
class IssueOrder:
    """Certificates to issue: ``count`` of ``amount_minor`` each, from a series."""

    series_id: int
    count: int
    amount_minor: int
    order_ref: str | None = None
    for_sale: bool = False  # pending cards for the tills: activated by the commit that sells


def issue_in(conn: Connection, tenant: tenancy.TenantRow, series: store.SeriesRow, *,
             count: int, amount_minor: int, now: datetime, order_ref: str | None = None,
             pending: bool = False) -> tuple[list[str], list[int], list[str]]:
    """Issue ``count`` active certificates worth ``amount_minor`` in the caller's
    transaction: for each, a money account and an ``issue`` entry from the asset's
    ``issued`` account, whose lot expires with the certificate. ``pending``: cards for
    sale at the tills, with an empty account, activated (and valued) by the commit that
    sells one (:mod:`regulars.services.stored_value.sales`). Returns the plain codes
    (grouped for reading), the certificates' ids and the paths of their public balance
    pages (``/c/<tenant>/gift/<token>``; only the token's SHA-256 is kept).

    Raises :class:`InvalidInput` (field ``amount_minor``) for an amount the series does not
    allow, and (field ``series_id``) for a series that is no longer sold.
    """
    if not series.active:
        raise InvalidInput("this certificate series is no longer sold", field="series_id")
    refused = terms_of(series).amount_refusal(amount_minor)
    if refused is not None:
        raise InvalidInput(refused, field="amount_minor")
    asset, key = asset_of(tenant), secret_key(conn, tenant.id, now)
    expires_at = now + timedelta(days=series.valid_days)
    plain = codes.fresh_codes(count)
    tokens = [secrets.token_urlsafe(18) for _ in plain]
    account_ids = [ledger_ops.open_bearer_account(conn, tenant.id, asset=asset)
                   for _ in plain]
    ids = store.insert_certificates(conn, [
        {"tenant_id": tenant.id, "series_id": series.id, "code_hash": codes.digest(key, code),
         "code_hint": code[-4:], "link_hash": link_digest(token), "account_id": account_id,
         "nominal_minor": amount_minor,
         "status": (Status.PENDING if pending else Status.ACTIVE).value, "uses": 0,
         "order_ref": order_ref, "sale_receipt_id": None, "issued_at": now,
         "expires_at": expires_at}
        for code, token, account_id in zip(plain, tokens, account_ids, strict=True)])
    if not pending:
        ctx = EntryContext(tenant_id=tenant.id, occurred_at=now, recorded_at=now)
        for certificate_id, account_id in zip(ids, account_ids, strict=True):
            credit(conn, ctx, certificate_id=certificate_id, account_id=account_id,
                   amount_minor=amount_minor, expires_at=expires_at, asset=asset)
    return ([codes.grouped(c) for c in plain], ids,
            [f"/c/{tenant.id}/gift/{token}" for token in tokens])


def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def by_link(rt: Runtime, tenant_id: int, token: str) -> CertificateView:
    """The certificate a public balance link names. Raises :class:`NotFound`: a card printed
    for sale and not sold yet says only that it waits for its sale (no amount, no expiry)."""
    if not 16 <= len(token) <= 64:
        raise NotFound("certificate not found")
    with rt.db.read() as conn:
        row = store.certificate_by_link(conn, tenant_id, link_digest(token))
    if row is not None and row.status == Status.PENDING.value:
        raise NotFound("this gift card is not active yet: it becomes active when it is sold")
    if row is None or row.status == Status.VOID.value:
        raise NotFound("certificate not found")
    return certificate_view(row)


def of_member(rt: Runtime, tenant_id: int, member_id: int) -> tuple[CertificateView, ...]:
    """The gift cards the member bought or paid with (see :func:`store.of_member`), newest
    first, at most :data:`MEMBER_CERTIFICATES`."""
    with rt.db.read() as conn:
        return tuple(certificate_view(r) for r in store.of_member(
            conn, tenant_id, member_id, limit=MEMBER_CERTIFICATES))


def member_certificate(rt: Runtime, tenant_id: int, member_id: int,
                       certificate_id: int) -> CertificateStatement:
    """One of the member's gift cards (:func:`of_member`): what its public page shows, and its
    latest movements. Raises :class:`NotFound` for another's."""
    with rt.db.read() as conn:
        found = [r for r in store.of_member(conn, tenant_id, member_id,
                                            limit=MEMBER_CERTIFICATES) if r.id == certificate_id]
        if not found:
            raise NotFound("certificate not found")
        lines = wallet_store.statement(conn, tenant_id, found[0].account_id,
                                       limit=MEMBER_CERTIFICATES)
    return CertificateStatement(certificate=certificate_view(found[0]), lines=tuple(
        MoneyLine(entry_id=r.entry_id, code=r.code, amount_minor=r.amount_minor,
                        receipt_id=r.receipt_id, occurred_at=r.occurred_at) for r in lines))


def credit(conn: Connection, ctx: EntryContext, *, certificate_id: int, account_id: int,
           amount_minor: int, expires_at: datetime, asset: Asset) -> int:
    """The ``issue`` entry that puts a certificate's value on it; its id."""
    return ledger_ops.earn(conn, ctx, key=f"certificate:{certificate_id}:issue",
                           account_id=account_id, amount=amount_minor,
                           available_at=ctx.recorded_at, expires_at=expires_at,
                           code=EntryCode.ISSUE, source=SystemAccount.ISSUED, asset=asset,
                           memo={"certificate_id": certificate_id, "why": [
                               {"code": "certificate_issued",
                                "params": {"amount": amount_minor}}]})


def issue(rt: Runtime, tenant_id: int, order: IssueOrder, *, actor: audit.Actor,
          key: str | None = None) -> IssuedCertificates:
    """Issue certificates in bulk (a corporate order) and show their codes, this once; the
    issue is on the audit trail (without the codes). With ``key`` (a form's token) the
    order is issued once: the same order sent again with it issues nothing and answers the
    certificates issued the first time, ``repeated`` and without their codes or links
    (only their digests are kept).

    Raises :class:`InvalidInput` naming the field (count, amount), :class:`NotFound`
    (series), :class:`IdempotencyMismatch` for a key sent before with another order.
    """
    if not 1 <= order.count <= MAX_ISSUE_PER_CALL:
        raise InvalidInput(f"count lies between 1 and {MAX_ISSUE_PER_CALL}", field="count")
    now = rt.now()
    with rt.db.write() as conn:
        if key is None:
            return _issue_now(conn, tenant_id, order, actor=actor, now=now)
        first, body = first_or_stored(
            conn, tenant_id=tenant_id, scope=ISSUE_SCOPE, key=key,
            payload={"series_id": order.series_id, "count": order.count,
                     "amount_minor": order.amount_minor, "order_ref": order.order_ref,
                     "for_sale": order.for_sale},
            now=now, work=partial(_issue_now, conn, tenant_id, order, actor=actor, now=now),
            encode=_without_codes)
    if first:
        return first[0]
    return IssuedCertificates(
        series_id=body["series_id"], amount_minor=body["amount_minor"],
        expires_at=None if order.for_sale else datetime.fromisoformat(body["expires_at"]),
        certificate_ids=tuple(body["certificate_ids"]), codes=(), links=(), repeated=True,
        for_sale=order.for_sale)


def _without_codes(done: IssuedCertificates) -> dict[str, Any]:
    """What a repeated issue answers: never the codes nor the links' tokens."""
    return {"series_id": done.series_id, "amount_minor": done.amount_minor,
            "expires_at": done.expires_at.isoformat() if done.expires_at else None,
            "certificate_ids": list(done.certificate_ids)}


def _issue_now(conn: Connection, tenant_id: int, order: IssueOrder, *, actor: audit.Actor,
               now: datetime) -> IssuedCertificates:
    tenant = _tenant(conn, tenant_id)
    series = require_series(conn, tenant_id, order.series_id)
    plain, ids, links = issue_in(conn, tenant, series, count=order.count,
                                 amount_minor=order.amount_minor, now=now,
                                 order_ref=order.order_ref, pending=order.for_sale)
    audit.record(conn, tenant_id, actor, "certificate.issue",
                 f"certificate series {series.id}", at=now, count=order.count,
                 amount_minor=order.amount_minor, for_sale=order.for_sale,
                 first_id=ids[0], last_id=ids[-1])
    return IssuedCertificates(series_id=series.id, amount_minor=order.amount_minor,
                              expires_at=None if order.for_sale
                              else now + timedelta(days=series.valid_days),
                              certificate_ids=tuple(ids), codes=tuple(plain),
                              links=tuple(links), for_sale=order.for_sale)


def _digest(conn: Connection, tenant_id: int, text: str, field: str) -> str | None:
    """The keyed digest a printed code is stored by (``None``: the tenant has no codes yet).
    Raises :class:`InvalidInput` naming ``field`` for a mistyped code."""
    parsed = codes.parse(text)
    if parsed is codes.Problem.CHECK:
        raise InvalidInput("the check character does not match: a character is mistyped",
                           field=field)
    if isinstance(parsed, codes.Problem):
        raise InvalidInput("a certificate code has 16 characters of 0-9 and A-Z without U",
                           field=field)
    return _keyed(conn, tenant_id, parsed)


def _keyed(conn: Connection, tenant_id: int, parsed: str) -> str | None:
    key = coupon_store.secret(conn, tenant_id)
    return None if key is None else codes.digest(bytes.fromhex(key), parsed)


def presented_digest(conn: Connection, tenant_id: int, text: str) -> str | None:
    """The digest of a code presented at a till, so that its certificate can be read with
    other reads; ``None`` for a mistyped code or a tenant without codes (the look-up that
    follows, :func:`find_with_series`, says why)."""
    parsed = codes.parse(text)
    return None if isinstance(parsed, codes.Problem) else _keyed(conn, tenant_id, parsed)


def find_by_code(conn: Connection, tenant_id: int, text: str, *,
                 field: str = "code") -> store.CertificateRow:
    """The certificate a printed code stands for. Raises :class:`InvalidInput` naming
    ``field`` for a mistyped code (wrong length, characters or check character) and for a
    code that is not one of the tenant's."""
    digest = _digest(conn, tenant_id, text, field)
    row = None if digest is None else store.certificate_by_digest(conn, tenant_id, digest)
    if row is None:
        raise InvalidInput("no such certificate", field=field)
    return row


def find_with_series(conn: Connection, tenant_id: int, text: str, *, field: str = "code",
                     presented: tuple[str, store.Presented] | None = None
                     ) -> tuple[store.CertificateRow, store.SeriesRow]:
    """:func:`find_by_code` and the certificate's series, in one read, or none when
    ``presented`` (a digest and what it names, read with other reads) is this code's.
    Raises as :func:`find_by_code` does."""
    digest = _digest(conn, tenant_id, text, field)
    if presented is not None and digest is not None and presented[0] == digest:
        found = presented[1]
    else:
        found = None if digest is None else store.certificate_with_series_by_digest(
            conn, tenant_id, digest)
    if found is None:
        raise InvalidInput("no such certificate", field=field)
    return found


def tender_digest(conn: Connection, tenant_id: int, text: str, *, field: str) -> str:
    """The digest of a code presented as a tender. Raises as :func:`find_by_code` does for
    a mistyped code, and for any code of a tenant that has no codes yet."""
    digest = _digest(conn, tenant_id, text, field)
    if digest is None:
        raise InvalidInput("no such certificate", field=field)
    return digest


def take_for_tender(conn: Connection, tenant_id: int, digest: str, *,
                    field: str) -> tuple[store.CertificateRow, store.SeriesRow]:
    """The certificate of a tender's digest and its series, locked and with a use counted
    (see :func:`regulars.db.stored_value.certificates.take_for_tender`). Raises
    :class:`InvalidInput` naming ``field`` for a code that is not one of the tenant's."""
    found = store.take_for_tender(conn, tenant_id, digest)
    if found is None:
        raise InvalidInput("no such certificate", field=field)
    return found


def look_up(rt: Runtime, tenant_id: int, code: str) -> CertificateView:
    with rt.db.read() as conn:
        return certificate_view(find_by_code(conn, tenant_id, code))


def get_certificate(rt: Runtime, tenant_id: int, certificate_id: int) -> CertificateView:
    with rt.db.read() as conn:
        row = store.get_certificate(conn, tenant_id, certificate_id)
    if row is None:
        raise NotFound("certificate not found")
    return certificate_view(row)


def list_certificates(rt: Runtime, tenant_id: int, *,
                      series_id: int | None = None) -> tuple[CertificateView, ...]:
    """The latest certificates (at most :data:`MAX_LISTED`), newest first."""
    with rt.db.read() as conn:
        return tuple(certificate_view(r) for r in store.list_certificates(
            conn, tenant_id, series_id=series_id, limit=MAX_LISTED))


def set_blocked(rt: Runtime, tenant_id: int, certificate_id: int, *, blocked: bool,
                actor: audit.Actor) -> CertificateView:
    """Block a lost certificate (refused as a tender from now on) or unblock it, on the audit
    trail when its status changed. A void one stays void. Raises :class:`NotFound`."""
    with rt.db.write() as conn:
        row = store.get_certificate(conn, tenant_id, certificate_id)
        if row is None:
            raise NotFound("certificate not found")
        if blocked:
            store.set_status(conn, tenant_id, certificate_id, Status.BLOCKED.value,
                             only_from=[Status.ACTIVE.value])
        else:
            store.set_status(conn, tenant_id, certificate_id, Status.ACTIVE.value,
                             only_from=[Status.BLOCKED.value])
        found = store.get_certificate(conn, tenant_id, certificate_id)
        assert found is not None
        if found.status != row.status:
            audit.record(conn, tenant_id, actor,
                         "certificate.block" if blocked else "certificate.unblock",
                         f"certificate {certificate_id}", at=rt.now())
        return certificate_view(found)


def relink(rt: Runtime, tenant_id: int, certificate_id: int, *, actor: audit.Actor) -> str:
    """A fresh public balance page for a certificate, to give its customer (only the digest
    of a link's token is kept, so an earlier link cannot be shown again): the old link stops
    working. On the audit trail. Returns the page's path (``/c/<tenant>/gift/<token>``).
    Raises :class:`NotFound`; :class:`InvalidInput` (``certificate_id``) for a card not
    sold yet or deactivated, which has no balance page."""
    token = secrets.token_urlsafe(18)
    with rt.db.write() as conn:
        if store.get_certificate(conn, tenant_id, certificate_id) is None:
            raise NotFound("certificate not found")
        if not store.set_link(conn, tenant_id, certificate_id, link_digest(token),
                              only_from=[Status.ACTIVE.value, Status.BLOCKED.value]):
            raise InvalidInput("a card not sold yet or deactivated has no balance page",
                               field="certificate_id")
        audit.record(conn, tenant_id, actor, "certificate.relink",
                     f"certificate {certificate_id}", at=rt.now())
    return f"/c/{tenant_id}/gift/{token}"


def report(rt: Runtime, tenant_id: int) -> StoredValueReport:
    """Per series: certificates sold or issued and their nominal sum, what was used, expired
    and is outstanding, and the cards for sale not sold yet; and the liability of the money
    asset (certificates and wallets)."""
    with rt.db.read() as conn:
        tenant = _tenant(conn, tenant_id)
        asset = asset_of(tenant)
        moved = store.moved_by_series(conn, tenant_id)
        series = tuple(SeriesReport(
            series_id=r["series_id"], issued=r["issued"], issued_minor=r["issued_minor"],
            used_minor=moved.get((r["series_id"], EntryCode.TENDER.value), 0)
            - moved.get((r["series_id"], EntryCode.REFUND_TENDER.value), 0)
            - moved.get((r["series_id"], EntryCode.VOID.value), 0),
            expired_minor=moved.get((r["series_id"], EntryCode.EXPIRE.value), 0),
            outstanding_minor=r["outstanding_minor"], blocked=r["blocked"], void=r["void"],
            unsold=r["unsold"], unsold_minor=r["unsold_minor"])
            for r in store.series_report(conn, tenant_id))
        certificates_minor, wallets_minor = store.liability(conn, tenant_id, asset.code)
    return StoredValueReport(asset=asset.code, series=series,
                             certificates_liability_minor=certificates_minor,
                             wallets_liability_minor=wallets_minor)
