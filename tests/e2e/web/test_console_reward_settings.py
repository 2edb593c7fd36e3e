"""The console's rewards page: referrals with levels, birthday and profile bonuses and
custom events, every problem at once with the values kept, and the change audited."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.audit.chain import Filters
from regulars.domain.rewards.rewards import Period, Trigger
from regulars.services.audit import audit
from regulars.services.rewards import rewards
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import form_of, signed_in

FORM = {"referral": "1", "referrer_points": "200", "referred_points": "100",
        "trigger": "first_purchase", "level2_points": "50", "level3_points": "20",
        "link_base": "", "birthday": "1", "birthday_points": "300", "profile_points": "40",
        "event1_type": "review", "event1_points": "50", "event1_limit": "1",
        "event1_period": "month", "event2_type": "survey", "event2_points": "10"}


def test_rewards_are_saved_from_the_form(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/reward-settings")
    assert page.status_code == 200 and 'id="rewards-form"' in page.text
    bad = client.post("/console/reward-settings", data={
        **form_of(page.text), **FORM, "referrer_points": "-1", "link_base": "ftp://x",
        "event2_type": "review", "event1_limit": "0"})
    assert bad.status_code == 422
    for name in ("referrer_points", "link_base", "event2_type", "event1_limit"):
        assert f'id="e-{name}"' in bad.text, name
    assert 'value="ftp://x"' in bad.text
    assert not rewards.get_settings(rt, shop.tenant_id).referral.enabled
    done = client.post("/console/reward-settings", data={**form_of(page.text), **FORM},
                       follow_redirects=False)
    assert done.status_code == 303
    saved = rewards.get_settings(rt, shop.tenant_id)
    assert saved.referral.enabled and saved.referral.trigger is Trigger.FIRST_PURCHASE
    assert saved.referral.upper_level_points == (50, 20)
    assert saved.birthday.enabled and saved.birthday.points == 300
    assert not saved.profile.enabled and saved.profile.points == 40
    assert [(e.type, e.points, e.limit, e.period) for e in saved.events] == [
        ("review", 50, 1, Period.MONTH), ("survey", 10, None, Period.LIFETIME)]
    assert audit.entries(rt, shop.tenant_id, Filters(action="settings.rewards"))
    shown = client.get("/console/reward-settings?saved=1")
    assert 'id="saved"' in shown.text and 'value="review"' in shown.text
