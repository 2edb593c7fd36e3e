"""Messages to members: queued in the transaction of their cause, once per cause and member
(even when the commit is retried), with consent, quiet hours in the tenant's time zone, the
frequency cap under concurrency and an unsubscribe that takes effect at once. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from regulars.db import personal
from regulars.db.members.tables import members as member_rows
from regulars.db.messaging.tables import events as event_rows
from regulars.db.messaging.tables import outbox_messages
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.members import members, registration
from regulars.services.members.members import MemberRef
from regulars.services.messaging import notify, otp, outbox, templates, unsubscribe
from regulars.services.messaging.messaging import MemorySender
from regulars.services.promotions import experiments
from regulars.services.rewards import job as rewards_job
from regulars.services.rewards import notices
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line, phone, run_together, set_program
from tests.integration.test_outbox import FlakySender


def member_messages(rt: Runtime, event: str | None = None) -> list[dict[str, Any]]:
    o = outbox_messages
    query = select(o).where(o.c.member_id.is_not(None)).order_by(o.c.id)
    if event is not None:
        query = query.where(o.c.event == event)
    with rt.db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:  # a text message's or e-mail's recipient is stored sealed
        if row["channel"] in ("sms", "email") and row["recipient"]:
            row["recipient"] = personal.unseal(row["recipient"])
    return rows


def consent(rt: Runtime, tenant_id: int, member_id: int) -> str:
    return str(members.get(rt, tenant_id, MemberRef(id=member_id)).consent)


def test_a_new_member_is_welcomed_once_in_the_tenants_language(rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    pos.register(1)  # the same phone again: the same member, no second welcome
    [row] = member_messages(rt)
    assert (row["event"], row["member_id"], row["channel"], row["recipient"], row["kind"]) \
        == ("welcome", member_id, "sms", phone(1), "transactional")
    assert row["body"].startswith("Добро пожаловать в Corner Café")  # the tenant is ru_RU


def test_the_tenants_own_wording_is_used_and_a_bad_placeholder_is_refused_on_save(
        rt: Runtime, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as refused:
        templates.save(rt, shop.tenant_id, "welcome", "ru", subject="Hi",
                       body="Hello {first_name}, your {balance_points}", actor=audit.SYSTEM)
    assert refused.value.field == "body" and "{balance_points}" in refused.value.detail
    with pytest.raises(InvalidInput) as stray:
        templates.save(rt, shop.tenant_id, "welcome", "ru", subject="Hi {", body="x",
                       actor=audit.SYSTEM)
    assert stray.value.field == "subject"
    with pytest.raises(NotFound):
        templates.save(rt, shop.tenant_id, "welcome", "fr", subject="", body="x",
                       actor=audit.SYSTEM)
    saved = templates.save(rt, shop.tenant_id, "welcome", "ru", subject="Привет",
                           body="Привет, {first_name}! {{скобки}} — {program}.", actor=audit.SYSTEM)
    assert saved.custom
    shown = templates.preview(rt, shop.tenant_id, "welcome", "ru")
    assert shown.body == "Привет, Anna! {скобки} — Corner Café."
    Pos(rt, shop).register(1)
    assert member_messages(rt)[0]["body"] == "Привет! {скобки} — Corner Café."
    assert not templates.reset(rt, shop.tenant_id, "welcome", "ru", actor=audit.SYSTEM).custom


def test_a_member_without_a_first_name_is_not_addressed_by_an_empty_one(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    named, unnamed, blank, english = (pos.register(n)["id"] for n in (1, 2, 3, 4))
    registration.update_profile(rt, shop.tenant_id, named, {"first_name": "Anna"})
    with rt.db.write() as conn:  # spaces alone are no name; a member who reads English
        conn.execute(update(member_rows).where(member_rows.c.id == blank)
                     .values(first_name="  "))
        conn.execute(update(member_rows).where(member_rows.c.id == english)
                     .values(locale="en_GB"))
    everyone = [named, unnamed, blank, english]
    with rt.db.write() as conn:
        for event in ("level_kept", "birthday"):  # transactional, then marketing (capped)
            found = notify.queue(conn, rt, shop.tenant_id, notify.Batch(
                event=event, member_ids=everyone, key=lambda m, e=event: f"{e}:{m}",
                values=lambda _m: {"level": "Silver"}), rt.now())
            assert set(found.outcomes.values()) == {"queued"}
    bodies = {(r["event"], r["member_id"]): r["body"] for r in member_messages(rt)}
    assert [bodies["level_kept", m] for m in everyone] == [
        "Anna, ваш уровень Silver сохранён.", "Ваш уровень Silver сохранён.",
        "Ваш уровень Silver сохранён.", "You keep your level Silver."]
    assert [bodies["birthday", m].split(" Отписаться: ")[0] for m in everyone[:3]] == [
        "С днём рождения, Anna!", "С днём рождения!", "С днём рождения!"]
    assert bodies["birthday", english].startswith("Happy birthday! Unsubscribe: ")


def test_points_earned_is_sent_only_when_the_tenant_opts_in_and_once_per_receipt(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    pos.commit(member_id, (line("tea", 10_000),), receipt="r1")
    assert member_messages(rt, "points_earned") == []
    templates.update_settings(rt, shop.tenant_id, {"points_earned": True}, actor=audit.SYSTEM)
    commit = pos.prepare(member_id, (line("tea", 10_000),), receipt="r2")
    first = pos.send(commit)
    assert pos.send(commit).body == first.body  # the till retries: the same answer
    [row] = member_messages(rt, "points_earned")
    assert str(first.body["points_earned"]) in row["body"]
    assert f"Баланс: {first.body['member']['balance_points']}" in row["body"]


def test_quiet_hours_have_both_ends_or_none(rt: Runtime, shop: Shop) -> None:
    with pytest.raises(InvalidInput) as refused:
        templates.update_settings(rt, shop.tenant_id, {"quiet_until_minute": 9 * 60},
                                  actor=audit.SYSTEM)
    assert refused.value.field == "quiet_from_minute"
    templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": 22 * 60,
                                                   "quiet_until_minute": 9 * 60},
                              actor=audit.SYSTEM)
    with pytest.raises(InvalidInput) as refused:
        templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": None,
                                                       "cap_messages": 1}, actor=audit.SYSTEM)
    assert refused.value.field == "quiet_from_minute"
    kept = templates.get_settings(rt, shop.tenant_id)
    assert (kept.quiet_from_minute, kept.quiet_until_minute, kept.cap_messages) \
        == (22 * 60, 9 * 60, 4)
    cleared = templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": None,
                                                             "quiet_until_minute": None},
                                        actor=audit.SYSTEM)
    assert (cleared.quiet_from_minute, cleared.quiet_until_minute) == (None, None)


def base_member_of_two_levels(rt: Runtime, shop: Shop) -> tuple[Pos, int]:
    """A program of Base and Gold (from 500.00), and a member at Base who has bought once."""
    set_program(rt, shop.tenant_id, levels=[
        {"code": "base", "name": "Base", "threshold_minor": 0, "rate_bp": 500},
        {"code": "gold", "name": "Gold", "threshold_minor": 50_000, "rate_bp": 1000}],
        point_value_minor=100, redeem_share_max_bp=5000)
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    pos.commit(member_id, (line("tea", 10_000),), receipt="r1")
    return pos, member_id


def test_a_level_reached_at_a_commit_is_told_once_with_an_event(rt: Runtime,
                                                                  shop: Shop) -> None:
    pos, member_id = base_member_of_two_levels(rt, shop)
    assert member_messages(rt, "level_reached") == []  # the first level seen is not news
    commit = pos.prepare(member_id, (line("tv", 60_000),), receipt="r2")
    pos.send(commit)
    pos.send(commit)
    [row] = member_messages(rt, "level_reached")
    assert "Gold" in row["body"]
    with rt.db.read() as conn:
        changed = [r.data for r in conn.execute(select(event_rows.c.data).where(
            event_rows.c.type == "level.changed"))]
    assert changed == [{"member_id": member_id, "from": "base", "to": "gold",
                        "direction": "up"}]


def test_a_refund_that_takes_the_level_away_is_told_once_with_an_event(rt: Runtime,
                                                                        shop: Shop) -> None:
    pos, member_id = base_member_of_two_levels(rt, shop)
    tv = pos.commit(member_id, (line("tv", 60_000),), receipt="r2")
    pos.refund(tv["receipt"]["id"], key="back")
    pos.refund_outcome(tv["receipt"]["id"], key="back")  # a retry tells nothing more
    [lost] = member_messages(rt, "level_lost")
    assert "Gold" in lost["body"] and "Base" in lost["body"]
    with rt.db.read() as conn:
        changed = [r.data for r in conn.execute(select(event_rows.c.data).where(
            event_rows.c.type == "level.changed").order_by(event_rows.c.id))]
    assert changed == [
        {"member_id": member_id, "from": "base", "to": "gold", "direction": "up"},
        {"member_id": member_id, "from": "gold", "to": "base", "direction": "down"}]


def test_marketing_needs_full_consent_and_transactional_goes_with_any(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    registration.update_profile(rt, shop.tenant_id, member_id, {"consent": "earn_only"})
    with rt.db.write() as conn:
        found = notify.queue(conn, rt, shop.tenant_id, notify.Batch(
            event="birthday", member_ids=[member_id], key=lambda m: f"b:{m}"), rt.now())
        assert found.outcomes == {member_id: "no_consent"}
        assert notify.queue_one(conn, rt, shop.tenant_id, event="balance",
                                member_id=member_id, key="bal:1", now=rt.now(),
                                values={"balance": "10.00"}) == "queued"
    assert [r["event"] for r in member_messages(rt)] == ["welcome", "balance"]


def test_a_message_due_in_quiet_hours_waits_for_their_end_in_the_tenants_zone(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    # 22:00 to 09:00 in Moscow (UTC+3); 20:30 UTC is 23:30 there.
    templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": 22 * 60,
                                                   "quiet_until_minute": 9 * 60},
                              actor=audit.SYSTEM)
    clock.now = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)
    rt.sender = sender = MemorySender()
    Pos(rt, shop).register(1)
    [row] = member_messages(rt)
    assert row["next_attempt_at"] == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert outbox.send_due(rt).sent == 0
    clock.now = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert outbox.send_due(rt).sent == 1
    assert [m.phone for m in sender.sent] == [phone(1)]


def test_in_quiet_hours_marketing_and_transactional_messages_wait_and_a_code_goes_at_once(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": 22 * 60,
                                                   "quiet_until_minute": 9 * 60},
                              actor=audit.SYSTEM)
    member_id = Pos(rt, shop).register(1)["id"]
    clock.now = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    rt.sender = sender = MemorySender()
    with rt.db.write() as conn:
        for event in ("balance", "birthday"):
            assert notify.queue_one(conn, rt, shop.tenant_id, event=event, member_id=member_id,
                                    key=f"{event}:1", now=rt.now()) == "queued"
    waiting = {r["event"]: r["next_attempt_at"] for r in member_messages(rt)}
    assert waiting["balance"] == waiting["birthday"] == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    otp.send_code(rt, shop.tenant_id, MemberRef(id=member_id), purpose="spend")
    assert [m.phone for m in sender.sent] == [phone(1)]  # the code, in the quiet hours


def test_a_retry_of_a_member_message_waits_out_quiet_hours_and_a_code_s_or_test_s_does_not(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    templates.update_settings(rt, shop.tenant_id, {"quiet_from_minute": 22 * 60,
                                                   "quiet_until_minute": 9 * 60},
                              actor=audit.SYSTEM)
    # 18:59:45 UTC is 21:59:45 in Moscow: the welcome is due at once, and a retry 30 seconds
    # after a failure would fall at 22:00:15 there, in the quiet hours.
    clock.now = datetime(2026, 3, 2, 18, 59, 45, tzinfo=UTC)
    rt.sender = sender = FlakySender()
    member_id = Pos(rt, shop).register(1)["id"]
    assert outbox.send_due(rt).retrying == 1
    [welcome] = member_messages(rt)
    assert welcome["next_attempt_at"] == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    otp.send_code(rt, shop.tenant_id, MemberRef(id=member_id), purpose="spend")
    tested = templates.test_send(rt, shop.tenant_id, "welcome", "en", channel="sms",
                                 recipient=phone(2))
    assert tested.status == "queued"
    o = outbox_messages
    with rt.db.read() as conn:
        others = conn.execute(select(o.c.next_attempt_at).where(o.c.member_id.is_(None))
                              .order_by(o.c.id)).scalars().all()
    assert others == [datetime(2026, 3, 2, 19, 0, 15, tzinfo=UTC)] * 2
    sender.up = True
    clock.now = datetime(2026, 3, 2, 19, 0, 15, tzinfo=UTC)
    assert outbox.send_due(rt).sent == 2  # the code and the test, in the quiet hours
    clock.now = datetime(2026, 3, 3, 5, 59, 59, tzinfo=UTC)
    assert outbox.send_due(rt).sent == 0
    clock.now = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert outbox.send_due(rt).sent == 1


def test_the_frequency_cap_holds_under_concurrent_campaign_sends(rt: Runtime,
                                                                 shop: Shop) -> None:
    templates.update_settings(rt, shop.tenant_id, {"cap_messages": 3, "cap_period_days": 7},
                              actor=audit.SYSTEM)
    member_id = Pos(rt, shop).register(1)["id"]

    def send(i: int) -> str:
        with rt.db.write() as conn:
            return notify.queue_one(conn, rt, shop.tenant_id, event="campaign",
                                    member_id=member_id, key=f"c:{i}", now=rt.now())

    outcomes = run_together(8, send)
    assert sorted(str(o) for o in outcomes) == ["capped"] * 5 + ["queued"] * 3
    assert len(member_messages(rt, "campaign")) == 3


def test_an_unsubscribe_link_takes_effect_at_once(rt: Runtime, shop: Shop) -> None:
    member_id = Pos(rt, shop).register(1)["id"]
    with rt.db.write() as conn:
        notify.queue_one(conn, rt, shop.tenant_id, event="campaign", member_id=member_id,
                         key="c:1", now=rt.now())
    [row] = member_messages(rt, "campaign")
    url = row["body"].rsplit(" ", 1)[1]
    token = url.rsplit("/", 1)[1]
    with pytest.raises(NotFound):
        unsubscribe.unsubscribe(rt, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert unsubscribe.unsubscribe(rt, token).program == "Corner Café"
    assert consent(rt, shop.tenant_id, member_id) == "earn_only"
    [row] = member_messages(rt, "campaign")
    assert row["status"] == "skipped"  # the queued marketing message never goes
    assert outbox.send_due(rt).sent == 1  # the welcome (transactional) still does


def test_a_stop_reply_from_the_sms_provider_unsubscribes_the_number(
        rt: Runtime, shop: Shop) -> None:
    member_id = Pos(rt, shop).register(1)["id"]
    assert unsubscribe.inbound_sms(rt, shop.tenant_id, phone=phone(1),
                                   text="hello").stopped == 0
    assert consent(rt, shop.tenant_id, member_id) == "full"
    assert unsubscribe.inbound_sms(rt, shop.tenant_id, phone=phone(1),
                                   text=" Стоп ").stopped == 1
    assert consent(rt, shop.tenant_id, member_id) == "earn_only"


def test_expiry_reminders_and_win_back_are_queued_once_by_the_notices_job(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    set_program(rt, shop.tenant_id, levels=[{"code": "base", "name": "Base",
                                             "threshold_minor": 0, "rate_bp": 1000}],
                point_value_minor=100, redeem_share_max_bp=5000, expire_after_days=30)
    templates.update_settings(rt, shop.tenant_id, {"expiring_days": 7, "winback_days": 20},
                              actor=audit.SYSTEM)
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    pos.commit(member_id, (line("tea", 10_000),), receipt="r1")
    clock.advance(days=21)
    first, again = notices.run(rt), notices.run(rt)
    assert (first.expiring, first.winback, again.expiring, again.winback) == (0, 1, 0, 0)
    [winback] = member_messages(rt, "winback")
    assert "20" in winback["body"] and winback["kind"] == "marketing"
    clock.advance(days=3)  # the points expire in 6 days
    assert notices.run(rt).expiring == 1
    assert notices.run(rt).expiring == 0
    [expiring] = member_messages(rt, "points_expiring")
    assert "10 ваших баллов сгорят через 6 дн." in expiring["body"]


def test_the_programme_holdout_gets_no_win_back_and_no_birthday_message(
        rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    experiments.set_holdout(rt, shop.tenant_id, 5000, actor=audit.SYSTEM)
    templates.update_settings(rt, shop.tenant_id, {"winback_days": 20}, actor=audit.SYSTEM)
    pos = Pos(rt, shop)
    ids = [pos.register(n)["id"] for n in range(1, 13)]
    for member_id in ids:
        pos.commit(member_id, (line("tea", 10_000),), receipt=f"r{member_id}")
    held = {m for m in ids if experiments.in_holdout(rt, shop.tenant_id, m)}
    assert 0 < len(held) < len(ids)
    clock.advance(days=21)
    assert notices.run(rt).winback == len(ids) - len(held)
    assert {r["member_id"] for r in member_messages(rt, "winback")} == set(ids) - held
    today = clock.now.astimezone(ZoneInfo("Europe/Moscow")).date()
    for member_id in ids:
        registration.update_profile(rt, shop.tenant_id, member_id,
                                    {"birthday": date(1990, today.month, today.day)})
    rewards_job.run(rt)
    assert {r["member_id"] for r in member_messages(rt, "birthday")} == set(ids) - held
