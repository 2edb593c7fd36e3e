"""Retention: one-time-code rows and stored answers older than the owner's periods are
purged by the scheduled job, in batches; a commit sent again after its key is purged is still
answered from its receipt, once. Settings changes and exports are on the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from regulars.db.checkout.tables import idempotency
from regulars.db.messaging.tables import otp_codes, outbox_messages
from regulars.domain.analytics.fraud import Thresholds
from regulars.domain.audit.chain import Filters
from regulars.errors import InvalidInput
from regulars.services.analytics import exports, fraud
from regulars.services.analytics.exports import ExportFormat, ExportKind
from regulars.services.audit import audit
from regulars.services.jobs import scheduler
from regulars.services.ledger import admin as ledger_admin
from regulars.services.members.members import MemberRef
from regulars.services.messaging import otp
from regulars.services.messaging.outbox import send_due
from regulars.services.runtime import Runtime
from regulars.services.tenancy import retention
from regulars.services.web_sessions import till_refunds
from tests.conftest import FakeClock, Shop
from tests.integration.support import Pos, line

OWNER = audit.Actor(kind="staff", id=1)


def _count(rt: Runtime, table: object) -> int:
    with rt.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _purge(rt: Runtime) -> None:
    done = scheduler.run_one(rt, scheduler.BY_NAME["retention"], force=True)
    assert done is not None and done.outcome == "ok", done


def test_old_codes_and_answers_are_purged_and_a_late_retry_still_answers_once(
        rt: Runtime, shop: Shop, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches
    pos = Pos(rt, shop)
    member_id = int(pos.register(1)["id"])
    retention.put(rt, shop.tenant_id, otp_days=2, idempotency_days=31, actor=OWNER)
    for _ in range(3):
        otp.send_code(rt, shop.tenant_id, MemberRef(id=member_id), purpose="spend")
        clock.advance(minutes=11)
    send_due(rt)
    first = pos.commit(member_id, (line("cup", 10_000),), receipt="R-1")
    for n in range(4):
        pos.commit(member_id, (line("cup", 10_000),), receipt=f"R-{n + 2}")
    assert _count(rt, otp_codes) == 3 and _count(rt, idempotency) >= 5

    clock.advance(days=3)
    _purge(rt)
    assert _count(rt, otp_codes) == 0
    with rt.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_messages).where(
            outbox_messages.c.erase_after_send.is_(True))).scalar_one() == 0
    assert _count(rt, idempotency) >= 5  # answers are kept longer

    clock.advance(days=29)
    _purge(rt)
    assert _count(rt, idempotency) == 0
    again = pos.commit(member_id, (line("cup", 10_000),), receipt="R-1")
    assert again["receipt"] == first["receipt"]
    assert pos.balance(member_id) == first["member"]["balance_points"] + 4 * (
        first["points_earned"])
    assert ledger_admin.check(rt, shop.tenant_id) == []


def test_periods_are_bounded(rt: Runtime, shop: Shop) -> None:
    assert retention.get(rt, shop.tenant_id).otp_days == retention.OTP_DAYS
    with pytest.raises(InvalidInput) as refused:
        retention.put(rt, shop.tenant_id, otp_days=1, idempotency_days=90, actor=OWNER)
    assert refused.value.field == "otp_days"
    with pytest.raises(InvalidInput) as refused:
        retention.put(rt, shop.tenant_id, otp_days=30, idempotency_days=30, actor=OWNER)
    assert refused.value.field == "idempotency_days"
    assert retention.get(rt, shop.tenant_id).updated_at is None


def test_settings_changes_and_exports_are_on_the_audit_trail(rt: Runtime, shop: Shop) -> None:
    retention.put(rt, shop.tenant_id, otp_days=7, idempotency_days=60, actor=OWNER)
    fraud.put_settings(rt, shop.tenant_id, Thresholds(flag_score=70), actor=OWNER)
    till_refunds.set_manager_pin_above(rt, shop.tenant_id, 5_000, actor=OWNER)
    for kind in ExportKind:
        b"".join(exports.chunks(rt, shop.tenant_id, kind, ExportFormat.CSV, actor=OWNER))
    found = [(e.action, e.actor) for e in reversed(audit.entries(rt, shop.tenant_id,
                                                                  Filters()))
             if e.actor != "system"]  # the shop's store and till, added before the test
    assert found == [("settings.retention", "staff 1"), ("settings.fraud", "staff 1"),
                     ("settings.till_policy", "staff 1")] + [
        (f"export.{kind.value}", "staff 1") for kind in ExportKind]
    assert audit.verify(rt, shop.tenant_id).problems == ()
