"""Gift certificates as tenders: issued in bulk on the ledger, taken in part at commit, given
back once by refunds and voids, refused with a 422 naming the field (nothing written), expired
as breakage, and never overdrawn by twenty tills at once; on both databases."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text, update

from regulars.db.ledger.tables import accounts
from regulars.db.stored_value.tables import certificates as certificate_rows
from regulars.domain.audit.chain import Filters
from regulars.domain.stored_value.certificates import SeriesTerms, Tender, TenderKind
from regulars.errors import InvalidInput, RefundRefused, RegularsError
from regulars.services.audit import audit
from regulars.services.checkout import checkout
from regulars.services.checkout.pricing import Sale
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.results import to_json
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value import expiry as stored_value_expiry
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.sales import CertificateSale
from regulars.services.tenancy import tenants
from tests.conftest import FakeClock, make_shop
from tests.integration.support import Commit, Pos, count_rows, line, run_together

BASKET = (line("cake", 3000), line("tea", 1000))  # 4 000 to pay


@pytest.fixture
def pos(rt: Runtime) -> Pos:
    return Pos(rt, make_shop(rt, "Gift Café"))


def series(rt: Runtime, pos: Pos, **terms: Any) -> int:
    values: dict[str, Any] = {"name": "Gift card", "nominal_values_minor": (5000, 10000),
                              "valid_days": 365, **terms}
    return certificates.create_series(rt, pos.tenant_id, SeriesTerms(**values),
                                      actor=audit.SYSTEM).id


def issue(rt: Runtime, pos: Pos, series_id: int, amount: int = 5000,
          count: int = 1) -> list[str]:
    done = certificates.issue(rt, pos.tenant_id, IssueOrder(series_id=series_id, count=count,
                                                            amount_minor=amount),
                              actor=audit.SYSTEM)
    return list(done.codes)


def paying(pos: Pos, receipt: str, tenders: list[Tender], *, till: int = 0,
           key: str | None = None) -> Commit:
    prepared = pos.prepare(None, BASKET, receipt=receipt, till=till, key=key)
    payload = {**prepared.payload, "tenders": [
        {"kind": t.kind.value, "code": t.code, "amount": t.amount_minor} for t in tenders]}
    return replace(prepared, request=replace(
        prepared.request, sale=replace(prepared.request.sale, tenders=tuple(tenders))),
        payload=payload)


def card(code: str, amount: int) -> Tender:
    return Tender(kind=TenderKind.CERTIFICATE, code=code, amount_minor=amount)


def balance(rt: Runtime, pos: Pos, code: str) -> int:
    return certificates.look_up(rt, pos.tenant_id, code).balance_minor


def test_a_certificate_pays_part_of_a_receipt_and_keeps_the_rest(rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos))[0]
    assert balance(rt, pos, code) == 5000
    body = pos.send(paying(pos, "R-1", [card(code, 3000)])).body
    assert body["tenders"] == [{"tender_no": 0, "kind": "certificate", "amount_minor": 3000,
                                "balance_minor": 2000, "code_ending": code[-4:]}]
    assert balance(rt, pos, code) == 2000
    assert ledger_admin.check(rt) == []


def test_a_replayed_commit_takes_the_tender_once(rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos))[0]
    prepared = paying(pos, "R-1", [card(code, 3000)])
    first = pos.send(prepared)
    again = pos.send(prepared)
    assert again.replayed and again.body == first.body
    assert balance(rt, pos, code) == 2000


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_lone_certificate_tender_chooses_its_lots_in_its_entrys_statement(
        rt: Runtime, pos: Pos) -> None:
    """On PostgreSQL the certificate's lots are read, chosen and taken by the statement that
    writes its entry (after the debit's statement locked its account): no statement of the
    commit reads them on its own."""
    code = issue(rt, pos, series(rt, pos))[0]
    prepared = paying(pos, "R-1", [card(code, 3000)])
    seen: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(rt.db.engine, "before_cursor_execute", log)
    try:
        pos.send(prepared)
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", log)
    assert [s for s in seen if s.startswith("SELECT") and " FROM lots " in s] == []
    assert balance(rt, pos, code) == 2000
    assert ledger_admin.check(rt) == []


@pytest.mark.parametrize("tender, field", [
    (card("0000-0000-0000-0000", 100), "tenders.0.code"),
    (card("not a code", 100), "tenders.0.code"),
])
def test_an_unknown_code_is_refused_naming_the_field(rt: Runtime, pos: Pos, tender: Tender,
                                                     field: str) -> None:
    series(rt, pos)
    before = count_rows(rt, pos.tenant_id)
    with pytest.raises(InvalidInput) as refused:
        pos.send(paying(pos, "R-1", [tender]))
    assert refused.value.field == field
    assert count_rows(rt, pos.tenant_id) == before


def test_overdraft_blocked_foreign_and_wrong_store_are_refused_with_nothing_written(
        rt: Runtime, pos: Pos) -> None:
    code, blocked = issue(rt, pos, series(rt, pos), count=2)
    certificates.set_blocked(rt, pos.tenant_id,
                             certificates.look_up(rt, pos.tenant_id, blocked).id, blocked=True,
                             actor=audit.SYSTEM)
    other = Pos(rt, make_shop(rt, "Other Café"))
    foreign = issue(rt, other, series(rt, other))[0]
    elsewhere = tenants.create_store(rt, pos.tenant_id, code="north", name="North",
                                     actor=audit.SYSTEM)
    limited = issue(rt, pos, series(rt, pos, store_ids=(elsewhere.id,)))[0]
    before = count_rows(rt, pos.tenant_id)
    for tenders, field, words in [
        ([card(code, 4001)], "tenders", "more than"),
        ([card(code, 3000), card(code, 1000)], "tenders.1", "twice"),
        ([card(blocked, 100)], "tenders.0.code", "blocked"),
        ([card(foreign, 100)], "tenders.0.code", "no such"),
        ([card(limited, 100)], "tenders.0.code", "store"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            pos.send(paying(pos, f"R-{field}", tenders))
        assert refused.value.field == field and words in refused.value.detail
    with pytest.raises(InvalidInput) as overdraft:
        pos.send(paying(pos, "R-big", [card(code, 3000)]))
        pos.send(paying(pos, "R-big-2", [card(code, 3000)]))
    assert overdraft.value.field == "tenders.0.amount"
    assert balance(rt, pos, code) == 2000
    assert count_rows(rt, pos.tenant_id)["receipts"] == before["receipts"] + 1


def test_refunds_return_each_tender_in_proportion_once(rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos))[0]
    body = pos.send(paying(pos, "R-1", [card(code, 2000)])).body
    receipt_id = body["receipt"]["id"]
    # Half the money back (the cake is 3 000 of 4 000): three quarters of the tender.
    first = pos.refund(receipt_id, [(1, 1000)], key="refund-1")
    assert first["tenders"] == [{"tender_no": 0, "kind": "certificate", "amount_minor": 1500,
                                 "balance_minor": 4500}]
    again = pos.refund_outcome(receipt_id, [(1, 1000)], key="refund-1")
    assert again.replayed and balance(rt, pos, code) == 4500
    rest = pos.refund(receipt_id, None, key="refund-2")
    assert rest["tenders"][0]["amount_minor"] == 500
    assert balance(rt, pos, code) == 5000
    with pytest.raises(RegularsError):
        pos.refund(receipt_id, None, key="refund-3")
    assert balance(rt, pos, code) == 5000
    assert ledger_admin.check(rt) == []


def test_a_void_gives_the_whole_tender_back_and_a_single_use_card_can_pay_again(
        rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos, multi_use=False))[0]
    receipt_id = pos.send(paying(pos, "R-1", [card(code, 1000)])).body["receipt"]["id"]
    with pytest.raises(InvalidInput, match="single-use"):
        pos.send(paying(pos, "R-2", [card(code, 1000)]))
    voided = pos.void(receipt_id, key="void-1")
    assert voided["tenders"][0]["balance_minor"] == 5000
    assert pos.send(paying(pos, "R-3", [card(code, 1000)])).body["tenders"][0][
        "balance_minor"] == 4000


def test_expiry_takes_what_is_left_as_breakage(rt: Runtime, pos: Pos,
                                               clock: FakeClock) -> None:
    code = issue(rt, pos, series(rt, pos, valid_days=30))[0]
    pos.send(paying(pos, "R-1", [card(code, 1000)]))
    clock.advance(days=31)
    with pytest.raises(InvalidInput, match="expired"):
        pos.send(paying(pos, "R-2", [card(code, 1000)]))
    assert stored_value_expiry.expire(rt).amount_minor == 4000
    assert stored_value_expiry.expire(rt).amount_minor == 0
    assert balance(rt, pos, code) == 0
    report = certificates.report(rt, pos.tenant_id)
    assert (report.series[0].issued_minor, report.series[0].used_minor,
            report.series[0].expired_minor, report.series[0].outstanding_minor) == (
        5000, 1000, 4000, 0)
    assert report.certificates_liability_minor == 0
    assert ledger_admin.check(rt) == []


def test_a_quote_says_what_each_tender_could_pay(rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos))[0]
    quoted = to_json(checkout.quote(rt, pos.till(), Sale(member=None, lines=BASKET,
                                                         tenders=(card(code, 0),))))
    assert quoted["tenders"] == [{"tender_no": 0, "kind": "certificate", "balance_minor": 5000,
                                  "could_pay_minor": 4000, "code_ending": code[-4:]}]
    plain = to_json(checkout.quote(rt, pos.till(), Sale(member=None, lines=BASKET)))
    assert "tenders" not in plain


def test_a_members_quote_reads_the_certificate_presented_with_the_member(
        rt: Runtime, pos: Pos) -> None:
    """The first certificate presented is read by the statement that reads the member: a
    member's quote presenting one runs as many statements as the same quote without it,
    and says the same as a quote without a member; a code that is none of the tenant's
    is refused as before."""
    code = issue(rt, pos, series(rt, pos))[0]
    ref = MemberRef(id=pos.register(1)["id"])
    seen: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    def quoted(member: MemberRef | None, *tenders: Tender) -> tuple[dict[str, Any], int]:
        seen.clear()
        event.listen(rt.db.engine, "before_cursor_execute", log)
        try:
            body = to_json(checkout.quote(rt, pos.till(), Sale(member=member, lines=BASKET,
                                                               tenders=tenders)))
        finally:
            event.remove(rt.db.engine, "before_cursor_execute", log)
        return body, len(seen)

    quoted(ref)  # the reads remembered for a while are read once
    _, plain = quoted(ref)
    with_card, presenting = quoted(ref, card(code, 0))
    assert presenting == plain
    assert with_card["tenders"] == quoted(None, card(code, 0))[0]["tenders"] == [
        {"tender_no": 0, "kind": "certificate", "balance_minor": 5000,
         "could_pay_minor": 4000, "code_ending": code[-4:]}]
    for wrong in ("0000-0000-0000-0000", "not a code"):
        with pytest.raises(InvalidInput) as refused:
            quoted(ref, card(wrong, 0))
        assert refused.value.field == "tenders.0.code"


def test_twenty_tills_spending_one_certificate_never_take_more_than_it_holds(
        rt: Runtime, pos: Pos) -> None:
    code = issue(rt, pos, series(rt, pos), amount=10000)[0]
    results = run_together(20, lambda i: pos.send(
        paying(pos, f"R-{i}", [card(code, 1500)], till=i % 2)).body)
    wins = [r for r in results if not isinstance(r, RegularsError)]
    losses = [r for r in results if isinstance(r, RegularsError)]
    assert len(wins) == 6
    assert all(isinstance(e, InvalidInput) and e.field == "tenders.0.amount" for e in losses)
    assert balance(rt, pos, code) == 1000
    assert ledger_admin.check(rt) == []


def test_the_ledger_check_reconciles_certificate_accounts(rt: Runtime, pos: Pos) -> None:
    """A certificate's account is checked like a member's: its cached balance against its
    postings and its lots (here made to disagree by hand)."""
    code = issue(rt, pos, series(rt, pos))[0]
    pos.send(paying(pos, "R-1", [card(code, 1000)]))
    assert ledger_admin.check(rt) == []
    account_id = certificate_account(rt, pos, code)
    with rt.db.write() as conn:
        conn.execute(update(accounts).where(accounts.c.id == account_id)
                     .values(balance=accounts.c.balance + 1))
    problems = ledger_admin.check(rt)
    assert [(p["kind"], p["account_id"], p["asset"]) for p in problems] == [
        ("account", account_id, "money:RUB")]


def certificate_account(rt: Runtime, pos: Pos, code: str) -> int:
    certificate_id = certificates.look_up(rt, pos.tenant_id, code).id
    with rt.db.read() as conn:
        return int(conn.execute(select(certificate_rows.c.account_id).where(
            certificate_rows.c.id == certificate_id)).scalar_one())


def selling(pos: Pos, receipt: str, code: str, amount: int, *, member_id: int | None = None
            ) -> Commit:
    prepared = pos.prepare(member_id, BASKET, receipt=receipt)
    sold = (CertificateSale(code=code, amount_minor=amount),)
    return replace(prepared, request=replace(prepared.request, certificates_sold=sold),
                   payload={**prepared.payload,
                            "certificates_sold": [{"code": code, "amount": amount}]})


def for_sale(rt: Runtime, pos: Pos, series_id: int) -> str:
    return certificates.issue(rt, pos.tenant_id, IssueOrder(
        series_id=series_id, count=1, amount_minor=5000, for_sale=True),
                              actor=audit.SYSTEM).codes[0]


def test_a_card_sold_at_the_till_is_activated_by_its_commit_and_earns_nothing(
        rt: Runtime, pos: Pos) -> None:
    code = for_sale(rt, pos, series(rt, pos, nominal_values_minor=(), min_minor=1000,
                                    max_minor=20000))
    assert certificates.look_up(rt, pos.tenant_id, code).status == "pending"
    with pytest.raises(InvalidInput, match="not active"):
        pos.send(paying(pos, "R-0", [card(code, 100)]))
    member = pos.register(1)["id"]
    plain = pos.commit(member, BASKET, receipt="R-plain")
    body = pos.send(selling(pos, "R-1", code, 7000, member_id=member)).body
    assert body["certificates_sold"][0]["amount_minor"] == 7000
    assert body["points_earned"] == plain["points_earned"]  # the card earns nothing
    assert body["paid_minor"] == plain["paid_minor"]
    assert balance(rt, pos, code) == 7000
    [sold] = audit.entries(rt, pos.tenant_id, Filters(action="certificate.sell"))
    assert (sold.actor, sold.subject) == (
        f"till {pos.shop.terminal_ids[0]}",
        f"certificate {body['certificates_sold'][0]['certificate_id']}")
    assert json.loads(sold.detail) == {"amount_minor": 7000, "receipt_id": body["receipt"]["id"],
                                       "till": pos.shop.terminal_ids[0]}
    assert code not in sold.detail
    with pytest.raises(InvalidInput) as again:
        pos.send(selling(pos, "R-2", code, 7000))
    assert again.value.field == "certificates_sold.0.code"
    with pytest.raises(InvalidInput) as wrong:
        pos.send(selling(pos, "R-3", for_sale(rt, pos, series(rt, pos)), 7000))
    assert wrong.value.field == "certificates_sold.0.amount"


def test_a_card_waiting_for_its_sale_has_no_expiry_until_it_is_sold(
        rt: Runtime, clock: FakeClock, pos: Pos) -> None:
    series_id = series(rt, pos, valid_days=30)
    code = for_sale(rt, pos, series_id)
    found = certificates.look_up(rt, pos.tenant_id, code)
    assert (found.status, found.expires_at) == ("pending", None)
    assert certificates.get_certificate(rt, pos.tenant_id, found.id).expires_at is None
    [listed] = certificates.list_certificates(rt, pos.tenant_id, series_id=series_id)
    assert listed.expires_at is None
    clock.advance(days=3)
    pos.send(selling(pos, "R-1", code, 5000))
    sold = certificates.get_certificate(rt, pos.tenant_id, found.id)
    assert sold.status == "active" and sold.expires_at == clock.now + timedelta(days=30)


def test_refunding_the_sale_deactivates_an_unused_card_and_refuses_a_used_one(
        rt: Runtime, pos: Pos) -> None:
    series_id = series(rt, pos)
    unused, used = for_sale(rt, pos, series_id), for_sale(rt, pos, series_id)
    first = pos.send(selling(pos, "R-1", unused, 5000)).body["receipt"]["id"]
    second = pos.send(selling(pos, "R-2", used, 5000)).body["receipt"]["id"]
    pos.send(paying(pos, "R-3", [card(used, 100)]))
    refunded = pos.refund(first, None, key="refund-1")
    assert refunded["certificates_voided"] == 1
    assert certificates.look_up(rt, pos.tenant_id, unused).status == "void"
    assert balance(rt, pos, unused) == 0
    with pytest.raises(RegularsError, match="used already"):
        pos.refund(second, None, key="refund-2")
    assert balance(rt, pos, used) == 4900
    assert ledger_admin.check(rt) == []


def _waiting_on_locks(rt: Runtime) -> int:
    with rt.db.read() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one())


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_receipts_paying_with_two_certificates_in_opposite_orders_both_go_through(
        rt: Runtime, pos: Pos) -> None:
    """Each receipt takes the certificates in the order of their codes and debits their
    accounts in id order, whatever order the till names them in: taken in the order given,
    the first would hold one certificate and wait for the other's, the second the reverse,
    and PostgreSQL would end one of them as a deadlock. The accounts are held by another
    transaction until both commits wait on a lock, so the two always overlap."""
    first, second = issue(rt, pos, series(rt, pos), count=2)
    account_ids = [certificate_account(rt, pos, code) for code in (first, second)]
    orders = ([card(first, 1000), card(second, 1000)], [card(second, 1000), card(first, 1000)])
    with ThreadPoolExecutor(max_workers=2) as pool, rt.db.engine.connect() as blocker:
        with blocker.begin():
            blocker.execute(select(accounts.c.id).where(accounts.c.id.in_(account_ids))
                            .with_for_update(key_share=True)).all()
            sent = [pool.submit(lambda i=i: pos.send(paying(pos, f"R-{i}", orders[i])))
                    for i in range(2)]
            deadline = time.monotonic() + 30
            while _waiting_on_locks(rt) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        results = [future.result(timeout=60) for future in sent]
    assert [len(r.body["tenders"]) for r in results] == [2, 2]
    assert balance(rt, pos, first) == balance(rt, pos, second) == 3000
    assert ledger_admin.check(rt) == []


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_refunding_a_card_sale_while_a_till_pays_with_the_card_ends_without_a_deadlock(
        rt: Runtime, pos: Pos) -> None:
    """The refund of a card's sale takes the card as a tender does (the card's row, then its
    account) and reads its uses under that lock: of the two, one goes through and the other
    is refused, whichever comes first. The card is held by another transaction until both
    wait on a lock, so the two always overlap."""
    code = for_sale(rt, pos, series(rt, pos))
    sale = pos.send(selling(pos, "R-1", code, 5000)).body["receipt"]["id"]
    with ThreadPoolExecutor(max_workers=2) as pool, rt.db.engine.connect() as blocker:
        with blocker.begin():
            blocker.execute(select(certificate_rows.c.id).where(
                certificate_rows.c.id == certificates.look_up(rt, pos.tenant_id, code).id)
                .with_for_update()).all()
            sent = [pool.submit(lambda: pos.send(paying(pos, "R-2", [card(code, 1000)]))),
                    pool.submit(lambda: pos.refund(sale, None, key="refund-1"))]
            deadline = time.monotonic() + 30
            while _waiting_on_locks(rt) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        outcomes: list[Any] = []
        for future in sent:
            try:
                outcomes.append(future.result(timeout=60))
            except RegularsError as exc:
                outcomes.append(exc)
    refused = [o for o in outcomes if isinstance(o, RegularsError)]
    # A deadlock would end one of them as ``Unavailable`` (send it again).
    assert [type(o) for o in refused] in ([InvalidInput], [RefundRefused]), outcomes
    paid = not isinstance(outcomes[0], RegularsError)
    assert balance(rt, pos, code) == (4000 if paid else 0)
    assert certificates.look_up(rt, pos.tenant_id, code).status == ("active" if paid else "void")
    assert ledger_admin.check(rt) == []
