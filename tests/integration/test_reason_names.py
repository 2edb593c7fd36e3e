"""A member's history names the member a merge brought points from, in the reader's
language, where the entry keeps only the member's id; on both databases."""

from __future__ import annotations

import pytest

from regulars.services.ledger import member_ledger
from regulars.services.members import registration
from regulars.services.members.registration import Registration
from regulars.services.runtime import Runtime
from tests.conftest import make_shop
from tests.integration.support import Pos, phone

SAID = {"en_GB": "40 points moved in from member Anna Petrova.",
        "ru_RU": "40 баллов перенесено от участника Anna Petrova.",
        "uk_UA": "40 балів перенесено від учасника Anna Petrova.",
        "bg_BG": "40 точки са прехвърлени от член Anna Petrova."}


@pytest.mark.parametrize("locale", sorted(SAID))
def test_a_merge_names_the_member_it_came_from(rt: Runtime, locale: str) -> None:
    pos = Pos(rt, make_shop(rt, "Names"))
    source, _ = registration.register(rt, pos.tenant_id, Registration(
        phone=phone(1), first_name="Anna", last_name="Petrova"))
    target = pos.register(2)["id"]
    pos.grant(source.id, 40)
    member_ledger.merge(rt, pos.tenant_id, source_id=source.id, target_id=target, key="m")
    [moved] = [e for e in member_ledger.history(rt, pos.tenant_id, target, locale=locale)
               if e.code == "merge"]
    assert moved.explanations == (SAID[locale],)
    assert f"#{source.id}" not in moved.explanations[0]
