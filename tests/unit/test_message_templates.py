"""The message formatter: placeholders substituted, literal braces, and a line with an
optional placeholder left out when it has no value (in every language's default welcome)."""

from __future__ import annotations

import pytest

from regulars.domain.messaging.templates import LANGUAGES, default, problems, render


def test_placeholders_and_literal_braces() -> None:
    assert render("Hi {first_name} {{x}} {missing}.", {"first_name": "Ann"}) == "Hi Ann {x} ."


def test_a_line_with_an_empty_optional_placeholder_is_left_out() -> None:
    text = "Welcome, {first_name}!\nYour card: {wallet_pass_url}\nSee you."
    assert render(text, {"first_name": ""}) == "Welcome!\nSee you."  # no one named
    assert render(text, {"first_name": "Ann", "wallet_pass_url": "https://x/c/1"}) == (
        "Welcome, Ann!\nYour card: https://x/c/1\nSee you.")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_default_welcome_offers_the_wallet_link_only_with_one(language: str) -> None:
    body = default("welcome", language).body
    assert problems("welcome", body) == []
    assert "https://x/c/1/pass.pkpass" in render(body, {"wallet_pass_url":
                                                        "https://x/c/1/pass.pkpass"})
    assert "\n" not in render(body, {"first_name": "Ann", "program": "Café"})
