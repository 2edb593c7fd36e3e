"""Opening and changing a certificate series, issuing certificates and blocking one are on
the audit trail, written in the change's own transaction (without the codes)."""

from __future__ import annotations

from regulars.domain.audit.chain import Filters
from regulars.domain.stored_value.certificates import SeriesTerms
from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.stored_value import certificates
from regulars.services.stored_value.certificates import IssueOrder
from tests.conftest import Shop

OWNER = audit.Actor(kind="staff", id=1)
KEY = audit.key(7)


def _trail(rt: Runtime, shop: Shop) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.subject)
            for e in reversed(audit.entries(rt, shop.tenant_id, Filters()))]


def test_series_issue_and_block_are_on_the_trail_with_who_did_them(
        rt: Runtime, shop: Shop) -> None:
    terms = SeriesTerms(name="Gift card", nominal_values_minor=(5000,), valid_days=365)
    series = certificates.create_series(rt, shop.tenant_id, terms, actor=KEY)
    certificates.update_series(rt, shop.tenant_id, series.id, terms, active=True, actor=KEY)
    done = certificates.issue(rt, shop.tenant_id, IssueOrder(
        series_id=series.id, count=2, amount_minor=5000), actor=KEY)
    first = done.certificate_ids[0]
    certificates.set_blocked(rt, shop.tenant_id, first, blocked=True, actor=OWNER)
    certificates.set_blocked(rt, shop.tenant_id, first, blocked=True, actor=OWNER)  # no change
    certificates.set_blocked(rt, shop.tenant_id, first, blocked=False, actor=OWNER)

    trail = [t for t in _trail(rt, shop) if t[1].startswith("certificate")]
    assert trail == [
        ("key 7", "certificate_series.open", f"certificate series {series.id}"),
        ("key 7", "certificate_series.change", f"certificate series {series.id}"),
        ("key 7", "certificate.issue", f"certificate series {series.id}"),
        ("staff 1", "certificate.block", f"certificate {first}"),
        ("staff 1", "certificate.unblock", f"certificate {first}"),
    ]
    details = " ".join(e.detail for e in audit.entries(rt, shop.tenant_id, Filters()))
    assert not any(code in details for code in done.codes)
    assert not audit.verify(rt, shop.tenant_id).problems
