"""The console's message pages over HTTP: a template edited per language (a bad placeholder
shown beside the field, the text kept), previewed with a sample member and test-sent;
a campaign scheduled and its counts shown; marketers only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from regulars.services.messaging import templates
from regulars.services.messaging.messaging import MemorySender
from regulars.services.promotions import campaigns, segments
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in


def as_marketer(client: TestClient, rt: Runtime, shop: Shop) -> str:
    add_staff(rt, shop.tenant_id, role="marketer", email="mia@example.com")
    sign_in(client, "mia@example.com")
    page = client.get("/console/messages")
    assert page.status_code == 200
    return csrf_of(page.text)


def post(client: TestClient, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf": csrf}, follow_redirects=False)


def test_a_template_is_edited_previewed_and_test_sent(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    csrf = as_marketer(client, rt, shop)
    listed = client.get("/console/messages").text
    assert 'id="event-winback"' in listed and "/console/messages/welcome/uk" in listed
    # As the queue does: every message to members waits out the quiet hours, not only
    # marketing; one-time codes and test sends do not.
    assert "never in quiet hours" not in listed
    assert ("Every message here, marketing or not, waits for the quiet hours to end; one-time "
            "codes and test sends go at once.") in listed
    hint = client.get("/console/messages/settings").text
    assert "No message goes out between these times" not in hint
    assert "marketing or not, waits until they end; one-time codes and test sends" in hint
    path = "/console/messages/welcome/en"
    bad = post(client, path, csrf, action="save", subject="Hi", body="Hi {nmae}")
    assert bad.status_code == 422
    assert 'id="e-body"' in bad.text and "{nmae}" in bad.text and "Hi {nmae}</textarea>" in bad.text
    shown = post(client, path, csrf, action="preview", subject="Hi", body="Hi {first_name}!")
    assert shown.status_code == 200 and "Hi Anna!" in shown.text
    saved = post(client, path, csrf, action="save", subject="Hi", body="Hi {first_name}!")
    assert saved.status_code == 303
    assert templates.get(rt, shop.tenant_id, "welcome", "en").body == "Hi {first_name}!"
    rt.sender = sender = MemorySender()
    sent = post(client, path + "/test", csrf, channel="sms", recipient="+79160000009")
    assert sent.headers["location"].endswith("sent=sent")
    assert [m.text for m in sender.sent] == ["Hi Anna!"]
    wrong = post(client, path + "/test", csrf, channel="email", recipient="not-an-address")
    assert wrong.status_code == 422
    assert 'id="e-recipient"' in wrong.text and 'value="not-an-address"' in wrong.text
    assert '<option value="email" selected>' in wrong.text
    assert len(sender.sent) == 1


def test_a_campaign_is_scheduled_and_its_counts_shown(client: TestClient, rt: Runtime,
                                                      shop: Shop) -> None:
    csrf = as_marketer(client, rt, shop)
    segment = segments.create(rt, shop.tenant_id, segments.Draft(
        name="All", rules=(segments.rule_of({"kind": "consent", "values": ["full"]}),)))
    for n in range(3):
        client.post("/v1/pos/members", headers=shop.till(), json={"phone": f"+7916000001{n}"})
    bad = post(client, "/console/campaigns", csrf, name="Spring", segment_id=str(segment.id),
               language="ru", subject="", body="{points}", control_percent="0", repeat_days="")
    assert bad.status_code == 422 and 'id="e-body"' in bad.text and "Spring" in bad.text
    made = post(client, "/console/campaigns", csrf, name="Spring", segment_id=str(segment.id),
                language="ru", subject="", body="{first_name}, весна!", control_percent="0",
                repeat_days="")
    assert made.status_code == 303
    campaigns.run_due(rt)
    page = client.get("/console/campaigns").text
    [campaign] = campaigns.list_all(rt, shop.tenant_id)
    assert f'id="campaign-{campaign.id}"' in page
    assert campaign.messages == {"queued": 3}


def test_cashiers_do_not_see_the_message_pages(client: TestClient, rt: Runtime,
                                               shop: Shop) -> None:
    add_staff(rt, shop.tenant_id, role="analyst", email="al@example.com")
    sign_in(client, "al@example.com")
    assert client.get("/console/messages").status_code == 403
    assert client.get("/console/campaigns").status_code == 403
