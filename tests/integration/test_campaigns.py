"""Campaigns to a segment: a control group kept out and recorded, consent and the cap
obeyed, once or recurring, a run a crash interrupted resumed without a second message. On
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from regulars.db.messaging.tables import outbox_messages
from regulars.db.promotions.tables import campaign_recipients
from regulars.db.promotions.tables import campaigns as campaign_rows
from regulars.errors import InvalidInput, NotFound
from regulars.services.audit import audit
from regulars.services.members import registration
from regulars.services.promotions import campaigns, segments
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop
from tests.integration.support import Pos

TEXTS = {"ru": {"subject": "Новинки", "body": "{first_name}, у нас новинки! {unsubscribe_url}"},
         "en": {"subject": "News", "body": "{first_name}, news! {unsubscribe_url}"}}


def everyone(rt: Runtime, tenant_id: int) -> int:
    made = segments.create(rt, tenant_id, segments.Draft(
        name="Everyone", rules=(segments.rule_of({"kind": "consent",
                                                  "values": ["full", "earn_only"]}),)))
    return made.id


def outbox_of(rt: Runtime, campaign_id: int) -> list[dict[str, object]]:
    o = outbox_messages
    with rt.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(o).where(o.c.campaign_id == campaign_id).order_by(o.c.member_id))]


def test_a_campaign_keeps_its_control_group_out_and_obeys_consent(rt: Runtime,
                                                                  shop: Shop) -> None:
    pos = Pos(rt, shop)
    ids = [pos.register(n)["id"] for n in range(1, 41)]
    for member_id in ids[:5]:
        registration.update_profile(rt, shop.tenant_id, member_id, {"consent": "earn_only"})
    made = campaigns.create(rt, shop.tenant_id, campaigns.Draft(
        name="Spring", segment_id=everyone(rt, shop.tenant_id), texts=TEXTS,
        control_percent=25), actor=audit.SYSTEM)
    report = campaigns.run_due(rt)
    assert report.runs == 1
    seen = campaigns.get(rt, shop.tenant_id, made.id)
    assert seen.status == "done" and seen.runs == 1
    assert sum(seen.recipients.values()) == 40
    assert 0 < seen.recipients.get("control", 0) < 20  # a quarter, give or take
    assert seen.recipients["queued"] == report.queued == seen.messages["queued"]
    with rt.db.read() as conn:
        control = {int(m) for m in conn.execute(select(campaign_recipients.c.member_id).where(
            campaign_recipients.c.outcome == "control")).scalars()}
    # The control group is drawn from the whole segment, as a promotion's is.
    assert seen.recipients["no_consent"] == len(set(ids[:5]) - control)
    sent_to = {int(str(m["member_id"])) for m in outbox_of(rt, made.id)}
    assert not control & sent_to and not sent_to & set(ids[:5])
    assert all(str(m["body"]).startswith(f"У нас новинки! /c/{shop.tenant_id}/unsubscribe/")
               for m in outbox_of(rt, made.id))
    assert campaigns.run_due(rt).runs == 0  # once means once


def test_a_recurring_campaign_runs_again_after_its_period(rt: Runtime, shop: Shop,
                                                          clock: FakeClock) -> None:
    pos = Pos(rt, shop)
    for n in range(1, 4):
        pos.register(n)
    made = campaigns.create(rt, shop.tenant_id, campaigns.Draft(
        name="Weekly", segment_id=everyone(rt, shop.tenant_id), texts=TEXTS, repeat_days=7),
                            actor=audit.SYSTEM)
    assert campaigns.run_due(rt).queued == 3
    clock.advance(days=6)
    assert campaigns.run_due(rt).runs == 0
    clock.advance(days=1)
    assert campaigns.run_due(rt).queued == 3
    assert campaigns.get(rt, shop.tenant_id, made.id).runs == 2
    assert len(outbox_of(rt, made.id)) == 6


def test_a_run_interrupted_by_a_crash_is_resumed_without_a_second_message(
        rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    for n in range(1, 6):
        pos.register(n)
    made = campaigns.create(rt, shop.tenant_id, campaigns.Draft(
        name="Once", segment_id=everyone(rt, shop.tenant_id), texts=TEXTS), actor=audit.SYSTEM)
    assert campaigns.run_due(rt).queued == 5
    # As if the process died after queueing, before the run was marked finished.
    with rt.db.write() as conn:
        conn.execute(update(campaign_rows).values(status="running"))
    report = campaigns.run_due(rt)
    assert (report.runs, report.queued) == (1, 0)
    assert len(outbox_of(rt, made.id)) == 5
    assert campaigns.get(rt, shop.tenant_id, made.id).status == "done"


def test_a_campaign_is_refused_with_a_bad_text_or_another_tenants_segment(
        rt: Runtime, shop: Shop) -> None:
    other = make_shop(rt, "Other")
    theirs = everyone(rt, other.tenant_id)
    with pytest.raises(NotFound):
        campaigns.create(rt, shop.tenant_id, campaigns.Draft(
            name="x", segment_id=theirs, texts=TEXTS), actor=audit.SYSTEM)
    with pytest.raises(InvalidInput) as refused:
        campaigns.create(rt, shop.tenant_id, campaigns.Draft(
            name="x", segment_id=everyone(rt, shop.tenant_id),
            texts={"ru": {"subject": "", "body": "{points} баллов"}}), actor=audit.SYSTEM)
    assert refused.value.field == "texts" and "{points}" in refused.value.detail
