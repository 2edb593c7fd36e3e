"""``/v1/admin/feedback`` and ``/v1/admin/faq`` over HTTP: the figures and comments of the
ratings, answering one, the FAQ added, changed, moved and deleted; bad input is a 422 naming
the field as the request spelled it, and nothing is written."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.feedback import ratings
from regulars.services.runtime import Runtime
from tests.conftest import Shop
from tests.integration.support import Pos, line

FAQ = "/v1/admin/faq"


def test_the_figures_and_comments_of_ratings_and_an_answer(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    pos = Pos(rt, shop)
    for n, stars in ((1, 5), (2, 2)):
        member_id = pos.register(n)["id"]
        receipt_id = pos.commit(member_id, (line("tea", 10_000),),
                                receipt=f"r{n}")["receipt"]["id"]
        ratings.rate_own(rt, shop.tenant_id, member_id, receipt_id, rating=stars,
                         comment="Slow" if stars == 2 else None)
    summary = client.get("/v1/admin/feedback/summary", headers=shop.owner).json()
    assert summary["total"] == {"count": 2, "average": 3.5, "distribution": [0, 1, 0, 0, 1]}
    assert [s["id"] for s in summary["stores"]] == [shop.store_id]
    assert summary["cashiers"][0]["id"] is None
    day = summary["to"]
    assert client.get("/v1/admin/feedback/summary", headers=shop.owner,
                      params={"from": day, "to": day}).json()["total"]["count"] == 2
    [comment] = client.get("/v1/admin/feedback", headers=shop.owner,
                           params={"answered": "false"}).json()
    assert (comment["rating"], comment["comment"], comment["answered_at"]) == (2, "Slow", None)
    done = client.post(f"/v1/admin/feedback/{comment['id']}/answer", headers=shop.owner,
                       json={"reply": "Sorry!"})
    assert done.status_code == 204
    [answered] = client.get("/v1/admin/feedback", headers=shop.owner,
                            params={"answered": "true"}).json()
    assert answered["reply"] == "Sorry!" and answered["answered_at"] is not None
    backwards = client.get("/v1/admin/feedback/summary", headers=shop.owner,
                           params={"from": "2026-03-02", "to": "2026-03-01"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    not_a_day = client.get("/v1/admin/feedback", headers=shop.owner,
                           params={"from": "2026-13-40"})
    assert not_a_day.status_code == 422 and not_a_day.json()["field"] == "from"
    assert client.post("/v1/admin/feedback/999999/answer", headers=shop.owner,
                       json={}).status_code == 404


def test_the_faq_is_added_changed_moved_and_deleted(client: TestClient, shop: Shop) -> None:
    def add(question: str) -> dict[str, object]:
        made = client.post(FAQ, headers=shop.owner, json={
            "language": "en", "question": question, "answer": "Yes."})
        assert made.status_code == 201, made.text
        body: dict[str, object] = made.json()
        return body

    first, second = add("One?"), add("Two?")
    assert (first["position"], second["position"]) == (1, 2)
    moved = client.post(f"{FAQ}/{second['id']}/move", headers=shop.owner,
                        json={"direction": "up"}).json()
    assert [e["id"] for e in moved] == [second["id"], first["id"]]
    changed = client.put(f"{FAQ}/{first['id']}", headers=shop.owner,
                         json={"question": "One, really?", "answer": "No."}).json()
    assert changed["question"] == "One, really?"
    assert client.delete(f"{FAQ}/{second['id']}", headers=shop.owner).status_code == 204
    assert [e["id"] for e in client.get(FAQ, headers=shop.owner,
                                        params={"language": "en"}).json()] == [first["id"]]
    assert client.get(FAQ, headers=shop.owner, params={"language": "ru"}).json() == []
    for body, field in (({"language": "fr", "question": "Q", "answer": "A"}, "language"),
                        ({"language": "en", "question": "Q" * 201, "answer": "A"},
                         "question"),
                        ({"language": "en", "question": "Q", "answer": ""}, "answer")):
        refused = client.post(FAQ, headers=shop.owner, json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field, refused.json()
    assert len(client.get(FAQ, headers=shop.owner).json()) == 1
