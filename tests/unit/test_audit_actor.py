"""Who an act at a till is on the audit trail: one rule for refunds, voids, top-ups and
sales alike."""

from __future__ import annotations

from regulars.services.audit import audit


def test_the_cashier_signed_in_comes_first_then_the_till_then_the_key() -> None:
    assert audit.at_till(staff_id=3, terminal_id=4, key_id=5).label == "staff 3"
    assert audit.at_till(staff_id=None, terminal_id=4, key_id=5).label == "till 4"
    assert audit.at_till(staff_id=None, terminal_id=4, key_id=0).label == "till 4"
    assert audit.at_till(staff_id=None, terminal_id=None, key_id=5).label == "key 5"
    assert audit.at_till(staff_id=None, terminal_id=None, key_id=0) == audit.SYSTEM
