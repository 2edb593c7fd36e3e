"""Codes reach pages only as words: every code a page can show has a label in every
language, and a code without one fails the catalog check."""

from __future__ import annotations

import pytest

from regulars.text import catalogs, labels


def test_codes_show_as_words_in_the_readers_language() -> None:
    assert labels.label("en", "receipt_status", "partially_refunded") == "partly refunded"
    assert labels.label("ru", "stacking", "stackable") == "суммируется с другими"
    assert labels.label("bg", "effect", "percent_discount") == "процентна отстъпка"
    assert labels.label("uk", "effect_option", "rate_bp") == "ставка"


def test_every_code_a_page_can_show_has_a_label() -> None:
    assert labels.missing() == []


def test_a_code_without_a_label_fails_the_catalog_check(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setitem(labels.CODES, "effect", (*labels.CODES["effect"], "new_effect"))
    assert "no label for the code effect: new_effect" in catalogs.check()
    assert labels.label("en", "effect", "new_effect") == "new_effect"
