"""The demo's gift cards and its message campaign: a gift-card series with a corporate order
and cards waiting at the tills to be sold, and a finished newsletter to the members who take
offers, with a control group (its messages are history: the demo retires them unsent)."""

from __future__ import annotations

from datetime import datetime, timedelta

from regulars.domain.promotions.segments import ConsentIn
from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.demo.history import SettableClock
from regulars.services.promotions import campaigns, segments
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder

NEWSLETTER_DAYS_AGO = 14
NEWSLETTER = {
    "en": {"subject": "New on the menu",
           "body": "{first_name}, our winter drinks are in: come and try one. {unsubscribe_url}"},
    "ru": {"subject": "Новое в меню",
           "body": "{first_name}, у нас зимние напитки: заходите попробовать. {unsubscribe_url}"},
    "uk": {"subject": "Нове в меню",
           "body": "{first_name}, у нас зимові напої: заходьте скуштувати. {unsubscribe_url}"},
    "bg": {"subject": "Ново в менюто",
           "body": "{first_name}, зимните ни напитки са тук: заповядайте. {unsubscribe_url}"},
}


def gift_cards(rt: Runtime, tenant_id: int) -> None:
    """A series of 25 and 50 gift cards valid for a year: five issued for a company's order
    and ten waiting at the tills, activated by the sale that pays for them."""
    series = certificates.create_series(rt, tenant_id, SeriesTerms(
        name="Gift card", nominal_values_minor=(2500, 5000), valid_days=365), actor=audit.SYSTEM)
    certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=5,
                                                 amount_minor=5000, order_ref="ACME-2026"),
                       actor=audit.SYSTEM)
    certificates.issue(rt, tenant_id, IssueOrder(series_id=series.id, count=10,
                                                 amount_minor=2500, for_sale=True),
                       actor=audit.SYSTEM)


def newsletter(rt: Runtime, tenant_id: int, clock: SettableClock, *, end: datetime) -> None:
    """A newsletter sent two weeks before ``end`` to the members who take offers, a tenth of
    them kept out as its control group."""
    clock.now = end - timedelta(days=NEWSLETTER_DAYS_AGO)
    audience = segments.create(rt, tenant_id, segments.Draft(
        name="Newsletter readers", rules=(ConsentIn(values=frozenset({"full"})),)))
    made = campaigns.create(rt, tenant_id, campaigns.Draft(
        name="Winter menu", segment_id=audience.id, texts=NEWSLETTER, control_percent=10),
        actor=audit.SYSTEM)
    campaigns.run(rt, tenant_id, made.id)
