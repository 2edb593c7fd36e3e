"""A birthday after today (in the business's time zone) or before 1900 is refused on ``birthday``
at every door: the till's and the admin's registration, and the admin's profile change."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Shop

PHONE = "+7 800 775-01-11"


def test_a_birthday_in_the_future_is_refused_everywhere(client: TestClient, shop: Shop) -> None:
    # 2026-03-02 10:00 UTC is 13:00 in Moscow, the shop's zone: tomorrow is 2026-03-03.
    for path, headers in (("/v1/pos/members", shop.till()), ("/v1/admin/members", shop.owner)):
        for day in ("2026-03-03", "2099-01-01", "1899-12-31"):
            answer = client.post(path, headers=headers, json={"phone": PHONE, "birthday": day})
            assert answer.status_code == 422, (path, day, answer.text)
            assert answer.json()["field"] == "birthday"
    created = client.post("/v1/pos/members", headers=shop.till(),
                          json={"phone": PHONE, "birthday": "2026-03-02"})
    assert created.status_code == 201, created.text
    member = created.json()["id"]
    later = client.patch(f"/v1/admin/members/{member}", headers=shop.owner,
                         json={"birthday": "2027-01-01"})
    assert later.status_code == 422 and later.json()["field"] == "birthday"
    assert client.get(f"/v1/admin/members/{member}",
                      headers=shop.owner).json()["birthday"] == "2026-03-02"
