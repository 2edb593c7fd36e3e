"""Every permission a console page can require has its own refusal sentence: a permission
added without one would answer a refused role with a server error instead."""

from __future__ import annotations

from regulars.services.web_sessions.sessions import REFUSALS, Permission


def test_every_permission_has_a_refusal() -> None:
    assert set(REFUSALS) == set(Permission)
    assert len(set(REFUSALS.values())) == len(REFUSALS)  # each says what it refuses
