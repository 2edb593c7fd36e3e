"""Feedback and questions: a rating per receipt from the message's signed link or the
customer page (changed for a while, paid for once by the business's event rule, told to the
webhooks), the console's figures, the FAQ in order and per language; and the balance and
level-kept messages, queued once per cause. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from regulars.db.messaging.tables import events as event_rows
from regulars.db.messaging.tables import outbox_messages
from regulars.domain.feedback.rules import EDIT_WINDOW
from regulars.domain.rewards.rewards import EventRule, RewardSettings
from regulars.domain.stored_value.certificates import Tender, TenderKind
from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.feedback import faq, ratings, report
from regulars.services.members.members import MemberRef
from regulars.services.messaging import templates
from regulars.services.program import review
from regulars.services.rewards import rewards
from regulars.services.runtime import Runtime
from regulars.services.stored_value import wallets
from regulars.services.stored_value.wallets import PaidBy
from tests.conftest import FakeClock, Shop, make_shop
from tests.integration.support import Pos, line, run_together, set_program
from tests.integration.test_certificates import for_sale, selling
from tests.integration.test_certificates import series as gift_series


def messages(rt: Runtime, event: str) -> list[dict[str, Any]]:
    o = outbox_messages
    with rt.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(o).where(o.c.event == event).order_by(o.c.id))]


def events_of(rt: Runtime, type_: str) -> list[dict[str, Any]]:
    with rt.db.read() as conn:
        return [dict(r.data) for r in conn.execute(select(event_rows.c.data).where(
            event_rows.c.type == type_).order_by(event_rows.c.id))]


def link_token(body: str) -> str:
    url = next(w for w in body.split() if "/rate/" in w)
    return url.rsplit("/", 1)[1]


def test_the_points_message_links_to_rating_the_visit_once_paid_for_by_the_event_rule(
        rt: Runtime, shop: Shop) -> None:
    rewards.put_settings(rt, shop.tenant_id, RewardSettings(
        events=(EventRule(type="feedback", points=50),)), actor=audit.SYSTEM)
    templates.update_settings(rt, shop.tenant_id, {"points_earned": True}, actor=audit.SYSTEM)
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    sale = pos.commit(member_id, (line("tea", 10_000),), receipt="r1")
    [message] = messages(rt, "points_earned")
    token = link_token(message["body"])
    seen = ratings.by_token(rt, token)
    assert (seen.receipt_id, seen.rating, seen.editable) == (sale["receipt"]["id"], None, True)
    before = pos.balance(member_id)
    rated = ratings.rate_by_token(rt, token, rating=4, comment="  Nice tea  ")
    assert (rated.rating, rated.comment, rated.points_paid) == (4, "Nice tea", 50)
    again = ratings.rate_by_token(rt, token, rating=5, comment=None)
    assert (again.rating, again.comment, again.points_paid) == (5, None, 0)
    assert pos.balance(member_id) == before + 50  # one reward per receipt
    assert [e["rating"] for e in events_of(rt, "feedback.received")] == [4, 5]
    assert "comment" not in events_of(rt, "feedback.received")[0]


def test_a_link_that_is_not_one_and_bad_ratings_are_refused(rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    receipt_id = pos.commit(member_id, (line("tea", 10_000),), receipt="r1")["receipt"]["id"]
    with rt.db.write() as conn:
        url = ratings.link_for(conn, rt, shop.tenant_id, receipt_id, rt.now())
    token = url.rsplit("/", 1)[1]
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad in (forged, f"{shop.tenant_id}.{receipt_id + 1}.{token.rsplit('.', 1)[1]}",
                "nonsense"):
        with pytest.raises(NotFound):
            ratings.by_token(rt, bad)
    with pytest.raises(InvalidInput) as low:
        ratings.rate_by_token(rt, token, rating=0, comment=None)
    assert low.value.field == "rating"
    with pytest.raises(InvalidInput) as long_:
        ratings.rate_by_token(rt, token, rating=3, comment="x" * 1001)
    assert long_.value.field == "comment"
    assert ratings.by_token(rt, token).rating is None  # nothing half-written


def test_a_member_rates_only_their_own_receipt_and_may_change_it_for_a_week(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    mine, other = pos.register(1)["id"], pos.register(2)["id"]
    receipt_id = pos.commit(mine, (line("tea", 10_000),), receipt="r1")["receipt"]["id"]
    with pytest.raises(NotFound):
        ratings.rate_own(rt, shop.tenant_id, other, receipt_id, rating=5, comment=None)
    ratings.rate_own(rt, shop.tenant_id, mine, receipt_id, rating=2, comment="Cold")
    clock.advance(seconds=EDIT_WINDOW.total_seconds() - 60)
    assert ratings.rate_own(rt, shop.tenant_id, mine, receipt_id, rating=3,
                            comment="Cold").rating == 3
    clock.advance(seconds=120)
    assert not ratings.of_receipt(rt, shop.tenant_id, mine, receipt_id).editable
    with pytest.raises(Conflict):
        ratings.rate_own(rt, shop.tenant_id, mine, receipt_id, rating=5, comment=None)


def test_an_answered_rating_stands_and_the_figures_are_per_store_and_cashier(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    members = [pos.register(n)["id"] for n in (1, 2, 3)]
    for n, (member_id, stars) in enumerate(zip(members, (5, 4, 1), strict=True)):
        receipt_id = pos.commit(member_id, (line("tea", 10_000),),
                                receipt=f"r{n}")["receipt"]["id"]
        ratings.rate_own(rt, shop.tenant_id, member_id, receipt_id, rating=stars,
                         comment="Slow" if stars == 1 else None)
    today = clock.now.date()
    found = report.summary(rt, shop.tenant_id, since=today, until=today)
    assert (found.total.count, found.total.average_tenths, found.total.distribution) == (
        3, 33, (1, 0, 0, 1, 1))
    [store] = found.stores
    assert store.id == shop.store_id and store.figures.count == 3
    [cashier] = found.cashiers
    assert cashier.id is None  # the till named no cashier
    [comment] = report.comments(rt, shop.tenant_id, since=today, until=today,
                                answered=False)
    assert (comment.rating, comment.comment) == (1, "Slow")
    report.answer(rt, shop.tenant_id, comment.id, reply="Sorry!", actor=audit.SYSTEM)
    assert report.comments(rt, shop.tenant_id, since=today, until=today, answered=False) == ()
    with pytest.raises(Conflict):
        ratings.rate_own(rt, shop.tenant_id, members[2], comment.receipt_id, rating=5,
                         comment=None)
    seen = ratings.of_receipt(rt, shop.tenant_id, members[2], comment.receipt_id)
    assert (seen.reply, seen.editable) == ("Sorry!", False)
    other = make_shop(rt, "Other")
    with pytest.raises(NotFound):
        report.answer(rt, other.tenant_id, comment.id, reply="x", actor=audit.SYSTEM)
    with pytest.raises(InvalidInput) as backwards:
        report.summary(rt, shop.tenant_id, since=today, until=today - timedelta(days=1))
    assert backwards.value.field == "to"


def test_the_default_period_ends_today_in_the_business_time_zone(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    # 22:30 UTC on 6 December is 01:30 on 7 December in Moscow, the shop's time zone: a
    # rating given now is today's there, and the default 30 days must hold it.
    clock.advance(seconds=(datetime(2026, 12, 6, 22, 30, tzinfo=UTC) - clock.now)
                  .total_seconds())
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    receipt_id = pos.commit(member_id, (line("tea", 10_000),), receipt="late")["receipt"]["id"]
    ratings.rate_own(rt, shop.tenant_id, member_id, receipt_id, rating=4, comment=None)
    since, until = report.default_range(rt, shop.tenant_id)
    assert (since, until) == (datetime(2026, 11, 8).date(), datetime(2026, 12, 7).date())
    assert report.summary(rt, shop.tenant_id, since=since, until=until).total.count == 1


def test_the_faq_is_ordered_per_language_and_falls_back_to_the_business_language(
        rt: Runtime, shop: Shop) -> None:
    add = lambda language, q: faq.add(rt, shop.tenant_id, language=language,  # noqa: E731
                                      question=q, answer=f"About {q}", actor=audit.SYSTEM)
    first, second, third = add("ru", "Баллы?"), add("ru", "Уровни?"), add("en", "<b>Points</b>?")
    assert [e.question for e in faq.for_member(rt, shop.tenant_id, "en")] == ["<b>Points</b>?"]
    # No Bulgarian entries: the business's own language (the shop is ru_RU).
    assert [e.id for e in faq.for_member(rt, shop.tenant_id, "bg")] == [first.id, second.id]
    moved = faq.move(rt, shop.tenant_id, second.id, up=True, actor=audit.SYSTEM)
    assert [e.id for e in moved] == [second.id, first.id]
    assert [e.id for e in faq.move(rt, shop.tenant_id, second.id, up=True,
                                   actor=audit.SYSTEM)] == [second.id, first.id]
    faq.change(rt, shop.tenant_id, first.id, question="Баллы сгорают?", answer="Через год",
               actor=audit.SYSTEM)
    faq.delete(rt, shop.tenant_id, third.id, actor=audit.SYSTEM)
    assert [e.question for e in faq.list_entries(rt, shop.tenant_id)] == [
        "Уровни?", "Баллы сгорают?"]
    with pytest.raises(InvalidInput) as empty:
        faq.add(rt, shop.tenant_id, language="en", question=" ", answer="x",
                actor=audit.SYSTEM)
    assert empty.value.field == "question"
    other = make_shop(rt, "Other")
    with pytest.raises(NotFound):
        faq.delete(rt, other.tenant_id, first.id, actor=audit.SYSTEM)


def test_a_top_up_and_a_wallet_payment_each_queue_one_balance_message(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    for _ in range(2):  # the till retries the top-up: one message
        wallets.top_up(rt, pos.till(), MemberRef(id=member_id), amount_minor=50_000,
                       paid_by=PaidBy.CARD, key="top-1", payload={"n": 1})
    prepared = pos.prepare(member_id, (line("cake", 30_000),), receipt="R-1")
    sale = replace(prepared.request.sale,
                   tenders=(Tender(kind=TenderKind.WALLET, amount_minor=20_000),))
    commit = replace(prepared, request=replace(prepared.request, sale=sale), payload={
        **prepared.payload, "tenders": [{"kind": "wallet", "amount": 20_000}]})
    pos.send(commit)
    pos.send(commit)  # a retried commit: still one message
    bodies = [(m["subject"], m["body"]) for m in messages(rt, "balance")]
    assert bodies == [
        ("Баланс кошелька", "Изменение: +500.00 RUB. Баланс кошелька: 500.00 RUB."),
        ("Баланс кошелька", "Изменение: -200.00 RUB. Баланс кошелька: 300.00 RUB.")]


def test_a_gift_card_sold_to_a_member_is_named_as_such_in_its_balance_message(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    code = for_sale(rt, pos, gift_series(rt, pos))
    pos.send(selling(pos, "R-1", code, 5000, member_id=member_id))
    assert [(m["subject"], m["body"]) for m in messages(rt, "balance")] == [
        ("Баланс подарочной карты",
         "Изменение: +50.00 RUB. Баланс подарочной карты: 50.00 RUB.")]
    preview = templates.preview(rt, shop.tenant_id, "balance", "uk")
    assert preview.body == "Зміна: +10.00. Баланс подарункової картки: 25.00."


def test_the_level_review_tells_who_keeps_their_level_once(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    set_program(rt, shop.tenant_id, levels=[
        {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 500},
        {"code": "gold", "name": "Gold", "threshold_minor": 50_000, "rate_bp": 1000}],
        point_value_minor=100, redeem_share_max_bp=5000, level_window="calendar_year")
    pos = Pos(rt, shop)
    keeper, other = pos.register(1)["id"], pos.register(2)["id"]
    pos.commit(keeper, (line("tv", 60_000),), receipt="r1")
    pos.commit(other, (line("tea", 1_000),), receipt="r2")
    assert review.run(rt).kept == 0  # March: no review
    clock.now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
    first, again = review.run(rt), review.run(rt)
    assert (first.kept, first.changed, again.kept) == (1, 0, 0)
    [kept] = messages(rt, "level_kept")
    assert kept["member_id"] == keeper and "Gold" in kept["body"]
    clock.now = datetime(2028, 1, 3, 9, 0, tzinfo=UTC)  # no spend in 2027: gold is lost
    assert review.run(rt).changed == 1
    [lost] = messages(rt, "level_lost")
    assert lost["member_id"] == keeper


def test_first_ratings_sent_at_once_keep_one_rating_and_pay_once(rt: Runtime,
                                                                 shop: Shop) -> None:
    rewards.put_settings(rt, shop.tenant_id, RewardSettings(
        events=(EventRule(type="feedback", points=30),)), actor=audit.SYSTEM)
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    receipt_id = pos.commit(member_id, (line("tea", 10_000),), receipt="r1")["receipt"]["id"]
    before = pos.balance(member_id)
    outcomes = run_together(4, lambda i: ratings.rate_own(
        rt, shop.tenant_id, member_id, receipt_id, rating=i + 1, comment=None))
    assert all(isinstance(o, ratings.Rating) for o in outcomes), outcomes
    assert pos.balance(member_id) == before + 30
    assert len(events_of(rt, "feedback.received")) == 4  # one first, three changes
    assert ratings.of_receipt(rt, shop.tenant_id, member_id, receipt_id).rating in {1, 2, 3, 4}
