"""Certificates and wallets as tenders at checkout, inside the quote's, commit's or refund's
unit of work.

A commit that names tenders pays part of the receipt's money from each: one ``tender``
entry per tender, a conditional debit of its account (``balance - held >= amount``: twenty
tills spending one certificate at once never take more than it holds), and a
``receipt_tenders`` row that a refund reads. Any tender refused (unknown or foreign code,
blocked, expired, not accepted in this store, a single-use certificate used already, more
than the balance) raises :class:`InvalidInput` naming the field as the request spelled it
(``tenders.N.code``, ``tenders.N.amount``) and the whole commit rolls back. A commit
without tenders costs no query here.

A refund or void gives back to each tender its share of the money refunded (see
:func:`~regulars.domain.stored_value.certificates.tender_returns`), once: the refund's own
key names the entry, and the row's ``returned_minor`` grows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Connection

from regulars.db.ledger import ops as ledger_ops
from regulars.db.ledger.ops import EntryContext, Shortfall
from regulars.db.stored_value import certificates as store
from regulars.db.tenancy import tenancy
from regulars.domain.checkout.quote import QuoteLine
from regulars.domain.ledger.assets import Asset
from regulars.domain.ledger.ledger import EntryCode, SystemAccount
from regulars.domain.stored_value.certificates import (
    NOT_ACCEPTED,
    CertificateState,
    Status,
    Tender,
    TenderKind,
    check_tenders_cover,
    refusal_code,
    refused,
    tender_refusal,
    tender_returns,
)
from regulars.errors import InvalidInput
from regulars.services.stored_value import goods_tenders
from regulars.services.stored_value.certificates import (
    asset_of,
    find_with_series,
    presented_digest,
    take_for_tender,
    tender_digest,
    terms_of,
)
from regulars.services.stored_value.results import TenderOption, TenderReturned, TenderTaken
from regulars.text.i18n import N_

MAX_TENDERS = 10

# What :func:`~regulars.domain.stored_value.certificates.tender_refusal` and
# :meth:`SeriesTerms.amount_refusal` may answer, for the catalogs (the pages translate them).
REFUSALS = (N_("this certificate is blocked"), N_("this certificate is not active"),
            N_("this certificate has expired"),
            N_(NOT_ACCEPTED),
            N_("this single-use certificate was used already"),
            N_("the amount is not one of the series' nominal values"),
            N_("the amount lies outside the series' open amount"))


def _wallet_account(conn: Connection, tenant_id: int, member_id: int | None, asset: Asset,
                    index: int) -> int:
    if member_id is None:
        raise InvalidInput("a wallet belongs to a member: name the member",
                           field=f"tenders.{index}.kind")
    account_id = store.wallet_account(conn, tenant_id, member_id, asset.code)
    if account_id is None:
        raise InvalidInput("this member has no wallet", field=f"tenders.{index}.kind")
    return account_id


def _refusal(row: store.CertificateRow, series: store.SeriesRow, *, store_id: int,
             now: datetime) -> str | None:
    """Why this certificate cannot pay a receipt in this store now, if so."""
    return tender_refusal(CertificateState(
        status=Status(row.status), expires_at=row.expires_at, uses=row.uses,
        multi_use=series.multi_use, accepted_here=terms_of(series).accepted_at(store_id)),
        now=now)


def _certificate(conn: Connection, tenant_id: int, digest: str, index: int, *,
                 store_id: int, now: datetime) -> store.CertificateRow:
    """The certificate of a tender's digest, locked and with this receipt's use counted, if
    it may pay a receipt in this store now."""
    row, series = take_for_tender(conn, tenant_id, digest, field=f"tenders.{index}.code")
    refusal = _refusal(row, series, store_id=store_id, now=now)
    if refusal is not None:
        raise refused(refusal, field=f"tenders.{index}.code")
    return row


def _check_shape(tenders: Sequence[tuple[int, Tender]], paid_minor: int) -> None:
    for index, tender in tenders:
        if tender.amount_minor <= 0:
            raise InvalidInput("an amount is positive", field=f"tenders.{index}.amount")
    check_tenders_cover(sum(t.amount_minor for _, t in tenders), paid_minor)


def _split(tenders: Sequence[Tender]
           ) -> tuple[list[tuple[int, Tender]], list[tuple[int, Tender]]]:
    """The goods tenders and the money tenders, each with its place in the request."""
    if len(tenders) > MAX_TENDERS:
        raise InvalidInput(f"at most {MAX_TENDERS} tenders per receipt", field="tenders")
    goods = [(i, t) for i, t in enumerate(tenders) if t.kind is TenderKind.GOODS]
    return goods, [(i, t) for i, t in enumerate(tenders) if t.kind is not TenderKind.GOODS]


def take(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
         tenders: Sequence[Tender], *, paid_minor: int, lines: Sequence[QuoteLine],
         now: datetime) -> tuple[TenderTaken, ...]:
    """Pay ``paid_minor`` of receipt ``ctx.receipt_id`` in part with ``tenders``: the goods
    tenders first (units of the ``lines`` of their products), then certificates and the
    wallet from the money left; what each paid and the balance it has left, in the order
    given. Raises :class:`InvalidInput` naming the field."""
    if not tenders:
        return ()
    goods, money = _split(tenders)
    taken: list[TenderTaken] = []
    covered = 0
    if goods:
        taken, covered = goods_tenders.take(conn, ctx, goods, lines=lines, now=now)
    _check_shape(money, paid_minor - covered)
    taken.extend(_take_money(conn, tenant, ctx, money, now=now))
    return tuple(sorted(taken, key=lambda t: t.tender_no))


@dataclass(frozen=True, kw_only=True)
class _Payer:
    """A money tender and the account it pays from (a certificate's, or the wallet)."""

    index: int
    tender: Tender
    account_id: int
    certificate: store.CertificateRow | None = None


def _payers(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
            tenders: Sequence[tuple[int, Tender]], *, now: datetime) -> list[_Payer]:
    """The account each money tender pays from. Codes are checked and the wallet found in
    the order given; then the certificates are locked, each with its use counted, in the
    order of their digests, so that two receipts presenting the same certificates in
    another order wait for each other instead of deadlocking."""
    assert ctx.store_id is not None
    payers: list[_Payer] = []
    digests: dict[str, tuple[int, Tender]] = {}
    for index, tender in tenders:
        if tender.kind is TenderKind.CERTIFICATE:
            digest = tender_digest(conn, tenant.id, tender.code or "",
                                   field=f"tenders.{index}.code")
            if digest in digests:
                raise InvalidInput("the same tender is given twice", field=f"tenders.{index}")
            digests[digest] = (index, tender)
            continue
        account_id = _wallet_account(conn, tenant.id, ctx.member_id, asset_of(tenant), index)
        if any(p.account_id == account_id for p in payers):
            raise InvalidInput("the same tender is given twice", field=f"tenders.{index}")
        payers.append(_Payer(index=index, tender=tender, account_id=account_id))
    for digest, (index, tender) in sorted(digests.items()):
        row = _certificate(conn, tenant.id, digest, index, store_id=ctx.store_id, now=now)
        payers.append(_Payer(index=index, tender=tender, account_id=row.account_id,
                             certificate=row))
    return payers


def _take_money(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
                tenders: Sequence[tuple[int, Tender]], *, now: datetime) -> list[TenderTaken]:
    """Each money tender's debit, in account order (the order every writer that debits
    several accounts takes), its tender row written with its entry."""
    if not tenders:
        return []
    assert ctx.receipt_id is not None
    asset = asset_of(tenant)
    if len(tenders) == 1 and tenders[0][1].kind is TenderKind.CERTIFICATE:
        alone = _take_certificate_alone(conn, tenant, ctx, *tenders[0], asset=asset, now=now)
        if alone is not None:
            return [alone]
    taken: list[TenderTaken] = []
    for payer in sorted(_payers(conn, tenant, ctx, tenders, now=now),
                        key=lambda p: p.account_id):
        certificate, tender = payer.certificate, payer.tender
        record = store.tender_record(
            tenant.id, ctx.receipt_id, tender_no=payer.index, kind=tender.kind.value,
            account_id=payer.account_id,
            certificate_id=certificate.id if certificate else None,
            amount_minor=tender.amount_minor)
        paid = _spend(conn, ctx, payer, asset, record, now)
        taken.append(TenderTaken(
            tender_no=payer.index, kind=tender.kind.value, amount_minor=tender.amount_minor,
            balance_minor=paid.balance,
            code_ending=certificate.code_hint if certificate else None))
    return taken


def _take_certificate_alone(conn: Connection, tenant: tenancy.TenantRow, ctx: EntryContext,
                            index: int, tender: Tender, *, asset: Asset,
                            now: datetime) -> TenderTaken | None:
    """A receipt's only money tender, a certificate: taken with its use counted and its
    account debited in one statement (it locks the certificate, then its account, as
    :func:`_payers` and :func:`_take_money` do). ``None`` where the database cannot (SQLite:
    the general path). Raises :class:`InvalidInput` as the general path does."""
    assert ctx.receipt_id is not None and ctx.store_id is not None
    field = f"tenders.{index}.code"
    digest = tender_digest(conn, tenant.id, tender.code or "", field=field)
    lead = store.tender_lead(conn, tenant.id, digest)
    if lead is None:
        return None
    receipt_id, store_id = ctx.receipt_id, ctx.store_id
    ending: list[str] = []

    def record(row: Any) -> ledger_ops.EntryRecord:
        certificate, series = store.led_certificate(row)
        refusal = _refusal(certificate, series, store_id=store_id, now=now)
        if refusal is not None:
            raise refused(refusal, field=field)
        ending.append(certificate.code_hint)
        return store.tender_record(
            tenant.id, receipt_id, tender_no=index, kind=tender.kind.value,
            account_id=certificate.account_id, certificate_id=certificate.id,
            amount_minor=tender.amount_minor)

    try:
        done = ledger_ops.pay_led(
            conn, ctx, lead=lead, key=f"receipt:{receipt_id}:tender:{index}",
            amount=tender.amount_minor, now=now, code=EntryCode.TENDER,
            sink=SystemAccount.REDEEMED, asset=asset, record=record,
            memo=_tender_memo(tender))
    except Shortfall as exc:
        raise _short(index, tender, certificate=True) from exc
    if done is None:
        _refuse_alone(conn, tenant.id, digest, index, tender, store_id=store_id, now=now)
    return TenderTaken(tender_no=index, kind=tender.kind.value,
                       amount_minor=tender.amount_minor, balance_minor=done[0].balance,
                       code_ending=ending[0])


def _refuse_alone(conn: Connection, tenant_id: int, digest: str, index: int, tender: Tender,
                  *, store_id: int, now: datetime) -> NoReturn:
    """Why :func:`_take_certificate_alone` debited nothing: no such certificate, one that may
    not pay here (its use, counted by the statement, left out), or too little on it."""
    found = store.certificate_with_series_by_digest(conn, tenant_id, digest)
    if found is None:
        raise InvalidInput("no such certificate", field=f"tenders.{index}.code")
    row, series = found
    refusal = _refusal(replace(row, uses=row.uses - 1), series, store_id=store_id, now=now)
    if refusal is not None:
        raise refused(refusal, field=f"tenders.{index}.code")
    raise _short(index, tender, certificate=True)


def _tender_memo(tender: Tender) -> dict[str, Any]:
    return {"tender": tender.kind.value, "why": [
        {"code": "tender_paid", "params": {"amount": tender.amount_minor}}]}


def _short(index: int, tender: Tender, *, certificate: bool) -> InvalidInput:
    """The refusal of a tender whose certificate or wallet holds less than its amount."""
    template = ("the certificate holds less than %(amount)s" if certificate
                else "the wallet holds less than %(amount)s")
    return InvalidInput(template, field=f"tenders.{index}.amount",
                        params={"amount": tender.amount_minor})


def _spend(conn: Connection, ctx: EntryContext, payer: _Payer, asset: Asset,
           record: ledger_ops.EntryRecord, now: datetime) -> ledger_ops.Paid:
    tender, index = payer.tender, payer.index
    try:
        return ledger_ops.pay(
            conn, ctx, key=f"receipt:{ctx.receipt_id}:tender:{index}",
            account_id=payer.account_id, amount=tender.amount_minor, now=now,
            code=EntryCode.TENDER, sink=SystemAccount.REDEEMED, asset=asset, record=record,
            memo=_tender_memo(tender))
    except Shortfall as exc:
        raise _short(index, tender, certificate=payer.certificate is not None) from exc


_PREPAID = frozenset({TenderKind.WALLET.value, TenderKind.GOODS.value})


def prepaid_minor(taken: Sequence[TenderTaken]) -> int:
    """The receipt's money paid from the member's wallet or settled by goods accounts:
    what the cashback basis leaves out."""
    return sum(t.amount_minor for t in taken if t.kind in _PREPAID)


def prepaid_offered_minor(offered: Sequence[TenderOption]) -> int:
    """At quote time, the money the tenders presented could pay from the member's wallet or
    settle by goods accounts: what the commit with the same tenders leaves out of the
    cashback basis (:func:`prepaid_minor`)."""
    return sum(o.could_pay_minor for o in offered if o.kind in _PREPAID)


def give_back(conn: Connection, ctx: EntryContext, receipt: dict[str, Any], *,
              paid_back_minor: int, refunded: dict[int, tuple[int, int]], kind: str,
              key: str, now: datetime,
              split: Sequence[tuple[int, int]] | None = None) -> tuple[TenderReturned, ...]:
    """Return to each tender of the receipt its share: to a goods tender the units of the
    lines refunded (``refunded``: line number → refunded quantity before and after this
    refund), to a certificate or the wallet its share of the money this refund or void
    gives back (``paid_back_minor`` of the receipt's ``paid_minor``, after the
    ``refunded_paid_minor`` of earlier refunds), both less what the goods tenders settled.
    ``split`` (``(tender_no, amount)``, as the till says) gives the certificates and the
    wallet those amounts instead, the other payments the rest (see :func:`_told`).
    ``kind`` is ``refund`` or ``void``."""
    goods = goods_tenders.give_back(conn, ctx, refunded=refunded, kind=kind, key=key,
                                    now=now)
    money = _give_back_money(conn, ctx, receipt, goods, paid_back_minor=paid_back_minor,
                             kind=kind, key=key, now=now, split=split)
    return tuple(sorted(goods.returned + money, key=lambda t: t.tender_no))


def _told(rows: Sequence[store.TenderRow], split: Sequence[tuple[int, int]], *,
          paid: int, before: int, after: int) -> list[int]:
    """What each money tender gets back as the till says: each named tender at most what it
    paid less what came back to it before; the tenders not named nothing; and what is left
    for the other payments (cash, a bank card) neither more than they still hold nor less
    than nothing. Raises :class:`InvalidInput` naming ``tenders.<i>.tender_no`` (not a
    certificate or wallet tender of the receipt, or named twice) or
    ``tenders.<i>.amount_minor`` / ``tenders`` (over a bound)."""
    by_no = {row.tender_no: n for n, row in enumerate(rows)}
    shares = [0] * len(rows)
    seen: set[int] = set()
    for index, (tender_no, amount) in enumerate(split):
        n = by_no.get(tender_no)
        if n is None or tender_no in seen:
            raise InvalidInput("name each certificate or wallet tender of the receipt once",
                               field=f"tenders.{index}.tender_no")
        seen.add(tender_no)
        left = rows[n].amount_minor - rows[n].returned_minor
        if not 0 <= amount <= left:
            raise InvalidInput("this tender has %(left)s left to give back",
                               field=f"tenders.{index}.amount_minor", params={"left": left})
        shares[n] = amount
    money_back = after - before
    others_left = (paid - sum(r.amount_minor for r in rows)) - (
        before - sum(r.returned_minor for r in rows))
    if not 0 <= money_back - sum(shares) <= others_left:
        raise InvalidInput("the tenders get back %(most)s at most and %(least)s at least",
                           field="tenders", params={
                               "most": money_back, "least": max(0, money_back - others_left)})
    return shares


def _give_back_money(conn: Connection, ctx: EntryContext, receipt: dict[str, Any],
                     goods: goods_tenders.GoodsGiven, *, paid_back_minor: int, kind: str,
                     key: str, now: datetime,
                     split: Sequence[tuple[int, int]] | None) -> tuple[TenderReturned, ...]:
    rows = store.tenders_of(conn, ctx.tenant_id, receipt["id"])
    if split and not rows:
        raise InvalidInput("this receipt was paid by no certificate or wallet",
                           field="tenders")
    if not rows or not paid_back_minor:
        return ()
    tenant = tenancy.get_tenant(conn, ctx.tenant_id)
    assert tenant is not None
    # The money tenders paid the money the goods tenders left: they share its refunds only.
    paid = receipt["paid_minor"] - goods.total_minor
    before = min(paid, max(0, receipt["refunded_paid_minor"] - goods.before_minor))
    after = min(paid, max(before, receipt["refunded_paid_minor"] + paid_back_minor
                          - goods.after_minor))
    if split:
        shares = _told(rows, split, paid=paid, before=before, after=after)
    elif after >= paid:  # the last of it: each tender whatever it has not had back yet
        shares = [row.amount_minor - row.returned_minor for row in rows]
    else:
        shares = tender_returns([r.amount_minor for r in rows], paid_minor=paid,
                                refunded_before=before, refunded_after=after)
    due = [(row, min(share, row.amount_minor - row.returned_minor))
           for row, share in zip(rows, shares, strict=True)]
    return _return_each(conn, ctx, [(row, share) for row, share in due if share > 0],
                        asset=asset_of(tenant), kind=kind, key=key, now=now)


def _return_each(conn: Connection, ctx: EntryContext,
                 due: Sequence[tuple[store.TenderRow, int]], *, asset: Asset, kind: str,
                 key: str, now: datetime) -> tuple[TenderReturned, ...]:
    """Give each tender its share, taking the rows in the orders a commit takes them (so
    that a refund and a commit of the same certificates wait for each other instead of
    deadlocking): a use back on each certificate paid back whole, by digest, then the
    accounts refilled, by id."""
    for row, share in sorted(due, key=lambda d: d[0].certificate_digest or ""):
        if row.certificate_id is not None and row.returned_minor + share == row.amount_minor:
            store.give_use_back(conn, ctx.tenant_id, row.certificate_id)
    returned: list[TenderReturned] = []
    for row, share in sorted(due, key=lambda d: d[0].account_id):
        _restore(conn, ctx, row, share, asset=asset, kind=kind, key=key, now=now)
        returned.append(TenderReturned(
            tender_no=row.tender_no, kind=row.kind, amount_minor=share,
            balance_minor=store.balance_of(conn, ctx.tenant_id, row.account_id)))
    return tuple(sorted(returned, key=lambda t: t.tender_no))


def _restore(conn: Connection, ctx: EntryContext, row: store.TenderRow, amount: int, *,
             asset: Asset, kind: str, key: str, now: datetime) -> None:
    """Refill the lots the tender took from, latest first, past what earlier refunds
    refilled."""
    taken = [(lot_id, -part) for lot_id, part in ledger_ops.moves_of(conn, ctx.tenant_id,
                                                                     row.entry_id) if part < 0]
    skip, need, moves = row.returned_minor, amount, []
    for lot_id, part in reversed(taken):
        usable = max(0, part - skip)
        skip = max(0, skip - part)
        if usable and need:
            moves.append((lot_id, min(usable, need)))
            need -= min(usable, need)
    expires_at = None
    if row.certificate_id is not None:
        certificate = store.get_certificate(conn, ctx.tenant_id, row.certificate_id)
        assert certificate is not None
        expires_at = certificate.expires_at
    ledger_ops.restore(
        conn, ctx, key=f"receipt:{ctx.receipt_id}:{kind}:{key}:tender:{row.tender_no}",
        account_id=row.account_id, moves=moves, now=now, fresh_expires_at=expires_at,
        code=EntryCode.VOID if kind == "void" else EntryCode.REFUND_TENDER,
        source=SystemAccount.REDEEMED, asset=asset,
        memo={"tender": row.kind, "why": [{"code": f"{kind}_tender_returned",
                                            "params": {"amount": amount}}]})
    store.add_returned(conn, ctx.tenant_id, row.id, amount)


def first_certificate_digest(conn: Connection, tenant_id: int,
                             tenders: Sequence[Tender]) -> str | None:
    """The digest of the first certificate among ``tenders`` (``None``: none, or a mistyped
    code), for its certificate to be read with the quote's member (:func:`options`)."""
    for tender in tenders:
        if tender.kind is TenderKind.CERTIFICATE:
            return presented_digest(conn, tenant_id, tender.code or "")
    return None


def options(conn: Connection, tenant: tenancy.TenantRow, tenders: Sequence[Tender], *,
            member_id: int | None, store_id: int, paid_minor: int,
            lines: Sequence[QuoteLine], now: datetime,
            presented: tuple[str, store.Presented] | None = None) -> tuple[TenderOption, ...]:
    """At quote time: what each tender presented holds and could pay of ``paid_minor``, in
    the order given (each pays from what the ones before it left); ``presented``: a
    certificate already read (:func:`first_certificate_digest`), not read again. Raises
    :class:`InvalidInput` for an unknown code or a wallet without a member; a certificate
    that cannot pay here says why in ``refusal``."""
    goods, money = _split(tenders)
    found = goods_tenders.options(conn, tenant.id, goods, member_id=member_id,
                                  lines=lines) if goods else []
    asset, left = asset_of(tenant), paid_minor - sum(o.could_pay_minor for o in found)
    for index, tender in money:
        refusal, ending = None, None
        if tender.kind is TenderKind.CERTIFICATE:
            row, series = find_with_series(conn, tenant.id, tender.code or "",
                                           field=f"tenders.{index}.code",
                                           presented=presented)
            refusal = _refusal(row, series, store_id=store_id, now=now)
            balance, ending = row.balance_minor, row.code_hint
        else:
            balance = store.balance_of(conn, tenant.id, _wallet_account(
                conn, tenant.id, member_id, asset, index))
        could = 0 if refusal else min(balance, left, tender.amount_minor or balance)
        left -= could
        found.append(TenderOption(tender_no=index, kind=tender.kind.value,
                                  balance_minor=balance, could_pay_minor=could,
                                  code_ending=ending, refusal=refusal,
                                  refusal_code=refusal_code(refusal) if refusal else None))
    return tuple(sorted(found, key=lambda o: o.tender_no))
