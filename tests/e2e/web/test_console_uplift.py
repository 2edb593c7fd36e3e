"""Console uplift pages over HTTP: the campaign report with its interval chart, starting,
reading and stopping an experiment with errors beside the fields, the sample-size form, the
holdout, translated verdicts, and another tenant's ids answering 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.domain.promotions.promotions import BonusPoints
from regulars.domain.promotions.segments import HasBirthday
from regulars.services.audit import audit
from regulars.services.promotions import experiments, promotions, segments
from regulars.services.promotions.promotions import Draft
from regulars.services.promotions.segments import Draft as SegmentDraft
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.integration.test_experiment_results import three_variants
from tests.integration.test_uplift_reads import Campaign, campaign  # noqa: F401 (a fixture)


def _targeted(rt: Runtime, shop: Shop) -> int:
    segment = segments.create(rt, shop.tenant_id, SegmentDraft(name="Birthdays",
                                                               rules=(HasBirthday(),)))
    return promotions.create(rt, shop.tenant_id, Draft(
        name="Birthday bonus", effects=(BonusPoints(points=5),), segment_id=segment.id,
        control_share_bp=1000), actor=audit.SYSTEM).id


def test_campaign_report_says_plainly_when_too_small(client: TestClient, rt: Runtime,
                                                     shop: Shop) -> None:
    promotion_id = _targeted(rt, shop)
    signed_in(client, rt, shop, "analyst")
    listed = client.get("/console/uplift")
    assert listed.status_code == 200 and "Birthday bonus" in listed.text
    page = client.get(f"/console/uplift/promotions/{promotion_id}")
    assert page.status_code == 200
    assert 'id="too-small"' in page.text and 'id="chart-uplift"' in page.text
    assert 'class="verdict-too_small"' in page.text and "<circle" in page.text


def test_campaign_report_shows_the_relative_uplift_of_spend(
        client: TestClient, rt: Runtime, campaign: Campaign) -> None:  # noqa: F811
    signed_in(client, rt, campaign.pos.shop, "analyst")
    page = client.get(f"/console/uplift/promotions/{campaign.promotion_id}").text
    # Test members spent 150.00 each in the campaign, the held-back 50.00: +200 %.
    first = page.split('<table id="uplift">', 1)[1].split("</tr>", 2)[1]
    assert "Spend per member" in first and '<span class="muted relative">(200' in first
    assert 'id="relative-note"' in page


def test_start_read_and_stop_an_experiment(client: TestClient, rt: Runtime,
                                           shop: Shop) -> None:
    a = promotions.create(rt, shop.tenant_id, Draft(name="Five", effects=(BonusPoints(points=5),)),
                          actor=audit.SYSTEM)
    b = promotions.create(rt, shop.tenant_id, Draft(name="Ten", effects=(BonusPoints(points=10),)),
                          actor=audit.SYSTEM)
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/uplift/experiments/new")
    assert page.status_code == 200
    url = "/console/uplift/experiments/new"
    one = client.post(url, data={**form_of(page.text), "name": "Five or ten",
                                 "variant_0": "five", "promotion_0": str(a.id)})
    assert one.status_code == 422 and 'id="e-variants"' in one.text
    assert 'value="Five or ten"' in one.text
    # A "control" with no promotion is not dropped into a count of variants: its own field
    # says an experiment compares promotions.
    control = client.post(url, data={**form_of(page.text), "name": "Five or none",
                                     "variant_0": "control", "variant_1": "five",
                                     "promotion_1": str(a.id)})
    assert control.status_code == 422 and 'id="e-variants"' not in control.text
    assert 'id="e-promotion_0"' in control.text and 'id="e-promotion_1"' not in control.text
    assert "choose a promotion: an experiment compares promotions" in control.text
    assert experiments.list_all(rt, shop.tenant_id) == []
    done = client.post(url, data={**form_of(page.text), "name": "Five or ten",
                                  "variant_0": "five", "promotion_0": str(a.id),
                                  "variant_1": "ten", "promotion_1": str(b.id)},
                       follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert shown.status_code == 200 and 'id="variants"' in shown.text
    assert 'id="experiment-verdict"' in shown.text and "verdict-too_small" in shown.text
    [made] = experiments.list_all(rt, shop.tenant_id)
    stop = client.post(f"/console/uplift/experiments/{made.id}/stop", data=form_of(shown.text),
                       follow_redirects=False)
    assert stop.status_code == 303
    assert experiments.get(rt, shop.tenant_id, made.id).status == "stopped"


def test_variants_that_beat_the_first_are_named_while_none_is_shown_best(
        client: TestClient, rt: Runtime, shop: Shop, clock: FakeClock) -> None:
    trial = three_variants(rt, shop, clock)
    signed_in(client, rt, shop, "analyst")
    page = client.get(f"/console/uplift/experiments/{trial.experiment_id}")
    assert page.status_code == 200
    verdict = page.text.split('id="experiment-verdict"')[1].split("</p>")[0]
    assert "no best variant yet: some beat the first, none beats all the others" in verdict
    assert "Small" not in verdict and "Large" not in verdict
    assert 'id="beats-baseline">Shown above the first variant: Middle, Large.' in page.text
    client.get("/console/language", params={"lang": "ru", "back": "/console"})
    russian = client.get(f"/console/uplift/experiments/{trial.experiment_id}")
    assert "Лучше первого варианта: Middle, Large." in russian.text
    assert "ни один не лучше всех остальных" in russian.text


def test_sample_size_and_holdout_forms(client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    sized = client.get("/console/uplift/sample-size",
                       params={"effect": "5.00", "sd": "10.00", "power_bp": "8000",
                               "variants": "2"})
    assert sized.status_code == 200 and 'id="sample-size-answer"' in sized.text
    assert "64" in sized.text.split('id="sample-size-answer"')[1][:200]
    always_valid = sized.text.split('id="sample-size-always-valid"')[1][:250]
    assert "124 members per variant" in always_valid
    bad = client.get("/console/uplift/sample-size", params={"effect": "abc"})
    assert bad.status_code == 422 and 'id="e-effect"' in bad.text
    page = client.get("/console/uplift")
    assert "basis points" not in page.text
    too_big = client.post("/console/uplift/holdout",
                          data={**form_of(page.text), "share": "60"})
    assert too_big.status_code == 422 and 'id="e-share"' in too_big.text
    saved = client.post("/console/uplift/holdout", data={**form_of(page.text), "share": "2.5"},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert experiments.holdout(rt, shop.tenant_id).share_bp == 250
    assert 'value="2.5"' in client.get("/console/uplift").text


def test_pages_are_translated(client: TestClient, rt: Runtime, shop: Shop) -> None:
    promotion_id = _targeted(rt, shop)
    signed_in(client, rt, shop, "analyst")
    client.get("/console/language", params={"lang": "ru", "back": "/console"})
    page = client.get(f"/console/uplift/promotions/{promotion_id}")
    assert page.status_code == 200
    # In Russian, the verdicts and headings read in it.
    assert "слишком мало участников, чтобы судить" in page.text
    assert "Эффект акции" in page.text and "too few members" not in page.text


def test_another_tenants_ids_answer_404(client: TestClient, rt: Runtime, shop: Shop) -> None:
    promotion_id = _targeted(rt, shop)
    a = promotions.create(rt, shop.tenant_id, Draft(name="A", effects=(BonusPoints(points=5),)),
                          actor=audit.SYSTEM)
    b = promotions.create(rt, shop.tenant_id, Draft(name="B", effects=(BonusPoints(points=6),)),
                          actor=audit.SYSTEM)
    made = experiments.create(rt, shop.tenant_id, experiments.ExperimentDraft(
        name="A/B", variants=(experiments.VariantDraft(name="a", promotion_id=a.id),
                              experiments.VariantDraft(name="b", promotion_id=b.id))),
                              actor=audit.SYSTEM)
    other = make_shop(rt, "Other Shop")
    signed_in(client, rt, other, "owner")
    for url in (f"/console/uplift/promotions/{promotion_id}",
                f"/console/uplift/experiments/{made.id}"):
        assert client.get(url).status_code == 404, url
    csrf = form_of(client.get("/console/uplift").text)["csrf"]
    stopped = client.post(f"/console/uplift/experiments/{made.id}/stop", data={"csrf": csrf})
    assert stopped.status_code == 404
    assert experiments.get(rt, shop.tenant_id, made.id).status == "running"
