"""The console's message settings over HTTP: every setting shown with its value, a change
saved (read back through the API, on the audit trail, taken by the very next receipt), a bad
value refused beside its field with nothing saved, and no page for staff without the marketing
permission. The tenant is the signed-in staff member's own, so another tenant's settings are
out of reach by construction."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.services.audit import audit
from regulars.services.messaging import templates
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in
from tests.integration.support import Pos, line
from tests.integration.test_member_messages import member_messages

PAGE = "/console/messages/settings"
FORM = {
    "channel": "sms",
    "quiet_from_minute": "",
    "quiet_until_minute": "",
    "cap_messages": "4",
    "cap_period_days": "7",
    "expiring_days": "7",
    "winback_days": "60",
}


def as_staff(client: TestClient, rt: Runtime, shop: Shop, role: str) -> int:
    staff_id = add_staff(rt, shop.tenant_id, role=role, email=f"{role}@example.com")
    sign_in(client, f"{role}@example.com")
    return staff_id


def save(client: TestClient, **changes: str) -> Any:
    csrf = csrf_of(client.get(PAGE).text)
    return client.post(PAGE, data={**FORM, **changes, "csrf": csrf}, follow_redirects=False)


def test_a_marketer_turns_on_points_earned_and_sets_quiet_hours_and_a_cap(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    marketer_id = as_staff(client, rt, shop, "marketer")
    assert 'href="/console/messages/settings"' in client.get("/console/messages").text
    shown = client.get(PAGE).text
    assert 'id="f-cap_messages"' in shown and 'value="60"' in shown
    assert 'id="f-points_earned"' in shown and "checked" not in shown
    pos = Pos(rt, shop)
    member_id = pos.register(1)["id"]
    pos.commit(member_id, (line("tea", 10_000),), receipt="r1")  # the settings are now cached
    saved = save(
        client,
        points_earned="1",
        quiet_from_minute="22:30",
        quiet_until_minute="08:00",
        cap_messages="2",
        cap_period_days="14",
        winback_days="90",
        expiring_days="3",
    )
    assert saved.status_code == 303 and saved.headers["location"] == PAGE + "?saved=1"
    read = client.get("/v1/admin/message-settings", headers=shop.owner).json()
    assert {k: read[k] for k in templates.SETTING_FIELDS} == {
        "channel": "sms",
        "quiet_from_minute": 22 * 60 + 30,
        "quiet_until_minute": 8 * 60,
        "cap_messages": 2,
        "cap_period_days": 14,
        "points_earned": True,
        "expiring_days": 3,
        "winback_days": 90,
    }
    page = client.get(PAGE + "?saved=1").text
    assert 'id="saved"' in page and 'value="22:30"' in page and " checked" in page
    [entry] = audit.entries(rt, shop.tenant_id, Filters(action="settings.messages"))
    assert entry.actor == f"staff {marketer_id}" and '"was"' in entry.detail
    pos.commit(member_id, (line("tea", 10_000),), receipt="r2")
    assert len(member_messages(rt, "points_earned")) == 1  # the change holds at once

    cleared = save(client, points_earned="1", channel="email")
    assert cleared.status_code == 303
    read = client.get("/v1/admin/message-settings", headers=shop.owner).json()
    assert (read["channel"], read["quiet_from_minute"], read["quiet_until_minute"]) == (
        "email",
        None,
        None,
    )


def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_saved(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    as_staff(client, rt, shop, "owner")
    before = templates.get_settings(rt, shop.tenant_id)
    for field, changes in (
        ("cap_messages", {"cap_messages": "-1", "points_earned": "1"}),
        ("quiet_from_minute", {"quiet_until_minute": "09:00"}),
        ("quiet_until_minute", {"quiet_from_minute": "22:00"}),
        ("quiet_from_minute", {"quiet_from_minute": "25:00", "quiet_until_minute": "09:00"}),
        ("channel", {"channel": "pigeon"}),
        ("winback_days", {"winback_days": "abc"}),
    ):
        refused = save(client, **changes)
        assert refused.status_code == 422, field
        assert f'id="e-{field}"' in refused.text, field
        assert templates.get_settings(rt, shop.tenant_id) == before
    kept = save(client, cap_messages="-1", quiet_until_minute="09:00")
    assert 'value="-1"' in kept.text and 'value="09:00"' in kept.text


def test_staff_without_the_marketing_permission_get_no_settings_page(
    client: TestClient, rt: Runtime, shop: Shop
) -> None:
    as_staff(client, rt, shop, "analyst")
    assert client.get(PAGE).status_code == 403
    csrf = csrf_of(client.get("/console").text)
    refused = client.post(
        PAGE, data={**FORM, "points_earned": "1", "csrf": csrf}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert not templates.get_settings(rt, shop.tenant_id).points_earned
