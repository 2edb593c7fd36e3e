"""Every console page writes a moment the way the reports write a day ("2 Mar 2026"), with the
hour and minute where the time matters, in the reader's language and the business's time zone:
the receipts list, the audit trail and a member's history alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.e2e.web.console_data import member, sale, signed_in

# The test clock's 2 March 2026, 10:00 UTC is 13:00 in Moscow, the shop's time zone.
WRITTEN = {"en": "2 Mar 2026, 13:00", "ru": "2 мар. 2026\u202fг., 13:00",
           "uk": "2 бер. 2026\u202fр., 13:00", "bg": "2.03.2026\u202fг., 13:00"}
SHORT = {"en": "02/03/2026", "ru": "02.03.2026", "uk": "02.03.26", "bg": "2.03.26"}


@pytest.mark.parametrize("language", ["en", "ru", "uk", "bg"])
def test_lists_write_a_moment_as_the_reports_write_a_day(
        client: TestClient, rt: Runtime, shop: Shop, language: str) -> None:
    signed_in(client, rt, shop, "owner")
    found = member(rt, shop)
    sale(rt, shop, "R-1")
    client.get("/console/language", params={"lang": language, "back": "/console"})
    for path in ("/console/receipts", "/console/audit", f"/console/members/{found['id']}"):
        page = client.get(path)
        assert page.status_code == 200, page.text
        assert WRITTEN[language] in page.text, path
        assert SHORT[language] not in page.text, path


FORM_DATES = {"en": "enter a date like 2026-04-25", "ru": "введите дату, например 2026-04-25"}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("path", "field"), [
    ("/console/receipts?date_from=20241301", "date_from"),
    ("/console/audit?date_from=20241301", "date_from"),
    ("/console/analytics/clv?calibration_end=20241301", "calibration_end"),
])
def test_eight_digits_that_are_no_day_are_told_beside_their_field(
        client: TestClient, rt: Runtime, shop: Shop, language: str, path: str,
        field: str) -> None:
    signed_in(client, rt, shop, "owner")
    client.get("/console/language", params={"lang": language, "back": "/console"})
    page = client.get(path)
    assert page.status_code == 422
    assert "month must be" not in page.text
    assert FORM_DATES[language] in page.text and f'id="e-{field}"' in page.text
