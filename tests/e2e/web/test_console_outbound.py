"""The console's jobs and webhooks pages over HTTP: last run and "run now", the message log,
webhooks added with the secret shown once, their deliveries sent again; owners only."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from regulars.services.jobs import scheduler
from regulars.services.messaging import outbox, webhooks
from regulars.services.messaging.messaging import MemorySender
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.support import add_staff, csrf_of, sign_in

SECRET = re.compile(r'id="secret-value">([^<]+)<')


def as_owner(client: TestClient, rt: Runtime, shop: Shop) -> str:
    add_staff(rt, shop.tenant_id, role="owner", email="owner@example.com")
    sign_in(client, "owner@example.com")
    page = client.get("/console/jobs")
    assert page.status_code == 200
    return csrf_of(page.text)


def post(client: TestClient, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data={**data, "csrf": csrf}, follow_redirects=False)


def test_jobs_show_their_last_run_and_run_when_asked(client: TestClient, rt: Runtime,
                                                    shop: Shop) -> None:
    csrf = as_owner(client, rt, shop)
    scheduler.run_due(rt)
    page = client.get("/console/jobs").text
    assert "Points expiry" in page and "Webhook deliveries" in page
    assert page.count('class="job-outcome">ok<') == len(scheduler.JOBS)
    asked = post(client, "/console/jobs/expiry/run", csrf)
    assert asked.status_code == 303
    assert "as soon as possible" in client.get(asked.headers["location"]).text
    assert [r.name for r in scheduler.run_due(rt)] == ["expiry"]
    assert post(client, "/console/jobs/nope/run", csrf).status_code == 404


def test_a_webhook_is_added_with_its_secret_shown_once_and_deliveries_sent_again(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    rt.settings = rt.settings.model_copy(update={"webhook_private_addresses_allowed": True})
    csrf = as_owner(client, rt, shop)
    bad = post(client, "/console/webhooks", csrf, url="ftp://x", event_types="*")
    assert bad.status_code == 422 and 'id="e-url"' in bad.text
    made = post(client, "/console/webhooks", csrf, url="http://127.0.0.1:9/hook",
                event_types="*")
    assert made.status_code == 200
    found = SECRET.search(made.text)
    assert found and found.group(1).startswith("whsec_")
    listed = client.get("/console/webhooks").text
    assert "http://127.0.0.1:9/hook" in listed and found.group(1) not in listed
    assert "<td>all events</td>" in listed  # in words, not "*"
    [endpoint] = webhooks.list_endpoints(rt, shop.tenant_id)
    client.post("/v1/pos/members", headers=shop.till(), json={"phone": "+79161234567"})
    webhooks.run(rt)  # nobody listens at port 9: the delivery waits for another attempt
    page = client.get(f"/console/webhooks/{endpoint.id}").text
    assert "evt_1" in page and "pending" in page
    assert '<span class="delivery-event">member.created</span>' in page
    [delivery] = webhooks.deliveries(rt, shop.tenant_id, endpoint.id)
    again = post(client, f"/console/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver",
                 csrf)
    assert again.status_code == 303
    assert webhooks.deliveries(rt, shop.tenant_id, endpoint.id)[0].next_attempt_at == rt.now()
    rotated = post(client, f"/console/webhooks/{endpoint.id}/rotate", csrf)
    new = SECRET.search(rotated.text)
    assert new and new.group(1) != found.group(1)


def test_only_owners_see_these_pages_and_only_their_own_webhooks(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    rt.settings = rt.settings.model_copy(update={"webhook_private_addresses_allowed": True})
    other = make_shop(rt, "Other Café")
    theirs = webhooks.create(rt, other.tenant_id, url="http://127.0.0.1:9/x",
                             event_types=["*"])
    add_staff(rt, shop.tenant_id, role="marketer", email="mia@example.com")
    sign_in(client, "mia@example.com")
    assert client.get("/console/jobs").status_code == 403
    assert client.get("/console/webhooks").status_code == 403
    client.cookies.clear()
    csrf = as_owner(client, rt, shop)
    theirs_id = theirs.endpoint.id
    assert client.get(f"/console/webhooks/{theirs_id}").status_code == 404
    client.post("/v1/pos/members", headers=other.till(), json={"phone": "+79161234567"})
    webhooks.fan_out(rt, other.tenant_id)
    [delivery] = webhooks.deliveries(rt, other.tenant_id, theirs_id)
    for path in (f"/console/webhooks/{theirs_id}/rotate", f"/console/webhooks/{theirs_id}/active",
                 f"/console/webhooks/{theirs_id}/deliveries/{delivery.id}/redeliver"):
        assert post(client, path, csrf).status_code == 404, path
    assert webhooks.get(rt, other.tenant_id, theirs_id) == theirs.endpoint
    assert webhooks.deliveries(rt, other.tenant_id, theirs_id) == [delivery]


def test_a_tenant_sees_the_installations_jobs_but_nothing_of_another_tenants_work(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    other = make_shop(rt, "Other Bakery")
    with rt.db.write() as conn:
        for n in range(3):
            outbox.queue(conn, other.tenant_id, key=f"other:{n}", channel="sms",
                         recipient=f"+7916555000{n}", body="Secret offer", now=rt.now())
    rt.sender = MemorySender()
    [run] = [r for r in scheduler.run_due(rt) if r.name == "messages"]
    assert run.detail.startswith("sent 3")  # the job's summary counts every tenant's work
    as_owner(client, rt, shop)
    page = client.get("/console/jobs").text
    api = client.get("/v1/admin/jobs", headers=shop.owner)
    assert api.status_code == 200
    messages_job = next(j for j in api.json() if j["name"] == "messages")
    assert messages_job["last_outcome"] == "ok" and "last_detail" not in messages_job
    for shown in (page, api.text):  # the schedule and outcome only, never the counts
        assert "sent 3" not in shown and run.detail not in shown
    assert "Secret offer" not in page and "+7916555000" not in page
    assert "No messages yet." in page  # the message log is the tenant's own
