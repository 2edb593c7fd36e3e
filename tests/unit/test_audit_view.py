"""How the audit page words an entry: the thing changed and the details in the reader's
language, with a readable fallback for what it does not know."""

from __future__ import annotations

from regulars.web.console import audit_view
from regulars.web.templating import Reader

RU = Reader(language="ru", locale="ru_RU", currency="RUB", timezone="Europe/Moscow")


def test_the_longest_known_thing_names_the_subject() -> None:
    assert audit_view.subject(RU, "certificate series 4") == "серия подарочных карт 4"
    assert audit_view.subject(RU, "certificate 4") == "подарочная карта 4"
    assert audit_view.subject(RU, "audit log") == "журнал аудита"
    assert audit_view.subject(RU, "something new 3") == "something new 3"


def test_details_are_labelled_and_formatted_by_their_key() -> None:
    found = dict(audit_view.details(
        RU, '{"before":"cashier","after":"owner","points_cost":21,"base_bp":1250,'
            '"quantity_milli":2500,"scopes":["a","b"],"new_key":null}'))
    assert (found["было"], found["стало"]) == ("кассир", "владелец")
    assert found["стоит"] == "21 балл"
    assert found["base bp"] == "12,5\u00a0%"
    assert found["quantity milli"] == "2,5"
    assert found["scopes"] == "a, b" and found["new key"] == "—"


def test_details_that_are_not_an_object_show_as_stored() -> None:
    assert audit_view.details(RU, "not json") == [("", "not json")]
    assert audit_view.details(RU, "[1, 2]") == [("", "[1, 2]")]
    assert audit_view.details(RU, "{}") == []
