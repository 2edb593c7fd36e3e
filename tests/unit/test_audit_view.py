"""How the audit page words an entry: the thing changed and the details in the reader's
language, with a readable fallback for what it does not know."""

from __future__ import annotations

import pytest

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
            '"quantity_milli":2500,"scopes":["a","b"],"new_key":null}',
        audit_view.Context(action="staff.role")))
    assert (found["было"], found["стало"]) == ("кассир", "владелец")
    assert found["стоит"] == "21 балл"
    assert found["base bp"] == "12,5\u00a0%"
    assert found["quantity milli"] == "2,5"
    assert found["scopes"] == "a, b" and found["new key"] == "—"


def test_details_that_are_not_an_object_show_as_stored() -> None:
    assert audit_view.details(RU, "not json") == [("", "not json")]
    assert audit_view.details(RU, "[1, 2]") == [("", "[1, 2]")]
    assert audit_view.details(RU, "{}") == []


def test_a_staff_change_names_its_fields_and_stores_in_the_readers_language() -> None:
    context = audit_view.Context(action="staff.update", stores={4: "Центр"})
    found = audit_view.details(
        RU, '{"changed":["name","store_id"],"store_after":4,"store_before":null}', context)
    assert found == [("изменено", "имя, магазин"), ("магазин после", "Центр"),
                     ("магазин до", "все магазины")]
    gone = audit_view.details(RU, '{"store_id":9}', context)
    assert gone == [("магазин", "9")]  # a store no longer listed shows as its id


def test_a_store_renamed_owner_reads_as_its_name_and_a_role_change_as_roles() -> None:
    renamed = audit_view.details(RU, '{"after":"owner","before":"cashier"}',
                                 audit_view.Context(action="store.update"))
    assert renamed == [("стало", "owner"), ("было", "cashier")]
    role = audit_view.details(RU, '{"after":"owner","before":"cashier"}',
                              audit_view.Context(action="staff.role"))
    assert role == [("стало", "владелец"), ("было", "кассир")]


def test_the_actions_of_till_sales_links_and_unblocking_have_words() -> None:
    assert [RU.label("audit_action", a) for a in ("certificate.sell", "staff.invite",
                                                   "goods.unblock")] == [
        "продажа подарочной карты на кассе", "ссылка для задания пароля сотрудника",
        "разблокировка предоплаченного товара"]


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["changed: the person's name, store", "store after: North", "store before: all stores"]),
    ("ru", ["изменено: имя, магазин", "магазин после: North", "магазин до: все магазины"]),
    ("uk", ["змінено: ім'я, магазин", "магазин після: North", "магазин до: усі магазини"]),
    ("bg", ["променено: име, магазин", "магазин след: North",
            "магазин преди: всички магазини"]),
])
def test_a_staff_change_reads_in_each_language(language: str, words: list[str]) -> None:
    reader = Reader(language=language, locale=language, currency="EUR", timezone="UTC")
    found = audit_view.details(
        reader, '{"changed":["name","store_id"],"store_after":4,"store_before":null}',
        audit_view.Context(action="staff.update", stores={4: "North"}))
    assert [f"{label}: {value}" for label, value in found] == words
