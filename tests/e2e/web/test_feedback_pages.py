"""Feedback and questions over HTTP: a member rates a visit from the signed link (no
sign-in) or from their receipt, with problems beside the field; the console shows the
figures and answers a comment, and edits the FAQ, which the customer page shows escaped;
another business's ratings and entries are not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.feedback import faq, ratings
from regulars.services.runtime import Runtime
from tests.conftest import Shop, make_shop
from tests.e2e.web.console_data import form_of, signed_in
from tests.e2e.web.customer_support import buy, register, sign_in_member
from tests.e2e.web.support import csrf_of
from tests.integration.support import Pos, phone


def rate_link(rt: Runtime, tenant_id: int, receipt_id: int) -> str:
    with rt.db.write() as conn:
        url = ratings.link_for(conn, rt, tenant_id, receipt_id, rt.now())
    return "/c/" + url.split("/c/", 1)[1]


def test_a_visit_is_rated_from_the_link_without_signing_in(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    receipt_id = buy(Pos(rt, shop), member_id, 10_000, "R-1")["receipt"]["id"]
    link = rate_link(rt, shop.tenant_id, receipt_id)
    page = client.get(link)
    assert page.status_code == 200 and 'id="star-5"' in page.text
    csrf = csrf_of(page.text)
    missing = client.post(link, data={"csrf": csrf, "comment": "<b>hi</b>"})
    assert missing.status_code == 422 and 'id="e-rating"' in missing.text
    assert "&lt;b&gt;hi&lt;/b&gt;" in missing.text  # what was typed is kept, escaped
    assert client.post(link, data={"rating": "5"}).status_code == 403  # no CSRF echo
    done = client.post(link, data={"csrf": csrf, "rating": "5", "comment": "Lovely"},
                       follow_redirects=False)
    assert done.status_code == 303
    again = client.get(done.headers["location"])
    assert 'id="rating-saved"' in again.text and "Lovely" in again.text
    forged = link[:-1] + ("0" if link[-1] != "0" else "1")
    assert client.get(forged).status_code == 404


def test_a_member_rates_from_history_and_sees_the_answer(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    receipt_id = buy(Pos(rt, shop), member_id, 10_000, "R-1")["receipt"]["id"]
    sign_in_member(client, rt, shop.tenant_id, phone(1))
    history = client.get(f"/c/{shop.tenant_id}/history")
    assert f'/receipts/{receipt_id}#rating' in history.text
    page = client.get(f"/c/{shop.tenant_id}/receipts/{receipt_id}")
    long_ = client.post(f"/c/{shop.tenant_id}/receipts/{receipt_id}/rating",
                        data={"csrf": csrf_of(page.text), "rating": "2",
                              "comment": "x" * 1001})
    assert long_.status_code == 422 and 'id="e-comment"' in long_.text
    done = client.post(f"/c/{shop.tenant_id}/receipts/{receipt_id}/rating",
                       data={"csrf": csrf_of(page.text), "rating": "2",
                             "comment": "Cold coffee"}, follow_redirects=False)
    assert done.status_code == 303
    other = register(rt, shop.tenant_id, 2)
    theirs = buy(Pos(rt, shop), other, 10_000, "R-2")["receipt"]["id"]
    assert client.post(f"/c/{shop.tenant_id}/receipts/{theirs}/rating",
                       data={"csrf": csrf_of(page.text), "rating": "1"}).status_code == 404

    signed_in(client, rt, shop, "marketer")
    console = client.get("/console/feedback")
    assert console.status_code == 200 and "Cold coffee" in console.text
    assert 'id="ratings-count">1<' in console.text
    feedback_id = console.text.split('id="comment-', 1)[1].split('"', 1)[0]
    answered = client.post(f"/console/feedback/{feedback_id}/answer", data={
        **form_of(console.text), "reply": "Sorry, next one is on us"}, follow_redirects=False)
    assert answered.status_code == 303
    assert "Cold coffee" not in client.get("/console/feedback").text  # answered: not open
    assert "Cold coffee" in client.get("/console/feedback?show=answered").text

    mine = client.get(f"/c/{shop.tenant_id}/receipts/{receipt_id}")
    assert "Sorry, next one is on us" in mine.text and 'id="rating-given"' in mine.text


def test_the_faq_is_edited_in_the_console_and_shown_escaped_in_the_members_language(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    signed_in(client, rt, shop, "marketer")
    page = client.get("/console/faq")
    assert page.status_code == 200
    empty = client.post("/console/faq", data={**form_of(page.text), "language": "en",
                                              "question": "", "answer": "x"})
    assert empty.status_code == 422 and 'id="e-question"' in empty.text
    for q in ("<script>alert(1)</script>?", "Do points expire?"):
        assert client.post("/console/faq", data={
            **form_of(page.text), "language": "en", "question": q,
            "answer": "Yes, after a year."}, follow_redirects=False).status_code == 303
    first, second = faq.list_entries(rt, shop.tenant_id)
    client.post(f"/console/faq/{second.id}/move", data={**form_of(page.text),
                                                       "direction": "up"})
    assert [e.id for e in faq.list_entries(rt, shop.tenant_id)] == [second.id, first.id]
    client.post(f"/console/faq/{first.id}", data={**form_of(page.text),
                                                 "question": "<script>alert(2)</script>?",
                                                 "answer": "No."})
    client.cookies.set("rg_lang", "en")
    shown = client.get(f"/c/{shop.tenant_id}/faq")
    assert shown.status_code == 200
    assert "<script>alert" not in shown.text and "&lt;script&gt;alert(2)" in shown.text
    assert shown.text.index("Do points expire?") < shown.text.index("alert(2)")
    client.cookies.set("rg_lang", "bg")  # no Bulgarian entries: the business's (ru): none
    assert "Do points expire?" not in client.get(f"/c/{shop.tenant_id}/faq").text
    client.post(f"/console/faq/{first.id}/delete", data=form_of(page.text))
    assert [e.id for e in faq.list_entries(rt, shop.tenant_id)] == [second.id]


def test_another_business_ratings_and_entries_are_not_found(
        client: TestClient, rt: Runtime, shop: Shop) -> None:
    member_id = register(rt, shop.tenant_id, 1)
    receipt_id = buy(Pos(rt, shop), member_id, 10_000, "R-1")["receipt"]["id"]
    rated = ratings.rate_own(rt, shop.tenant_id, member_id, receipt_id, rating=1,
                             comment="Bad")
    entry = faq.add(rt, shop.tenant_id, language="en", question="Q?", answer="A.",
                    actor=audit.SYSTEM)
    other = make_shop(rt, "Other Café")
    signed_in(client, rt, other, "owner")
    csrf = form_of(client.get("/console/faq").text)["csrf"]
    from regulars.services.feedback import report

    [comment] = report.comments(rt, shop.tenant_id, since=rt.now().date(),
                                until=rt.now().date())
    assert comment.receipt_id == rated.receipt_id
    for url, data in ((f"/console/feedback/{comment.id}/answer", {"reply": "x"}),
                      (f"/console/faq/{entry.id}", {"question": "Stolen", "answer": "x"}),
                      (f"/console/faq/{entry.id}/move", {"direction": "up"}),
                      (f"/console/faq/{entry.id}/delete", {})):
        assert client.post(url, data={"csrf": csrf, **data}).status_code == 404, url
    assert "Bad" not in client.get("/console/feedback").text
    assert faq.get_entry(rt, shop.tenant_id, entry.id).question == "Q?"
