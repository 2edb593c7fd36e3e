"""Sign-ins for the demo business's web pages, printed by ``regulars demo``.

Every start sets the same well-known passwords and PINs (the demo is for trying, not for
keeping secrets), so the printed credentials always work, also on a demo built earlier.
"""

from __future__ import annotations

from typing import Any

from regulars.db.members import members as member_rows
from regulars.domain.messaging.addresses import masked_phone
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth

PASSWORDS = {"owner": "demo-owner", "marketer": "demo-marketer", "analyst": "demo-analyst"}
CASHIER_PIN = "1234"


def web_access(rt: Runtime, tenant_id: int) -> dict[str, Any]:
    """Set the demo's passwords and PINs; return who can sign in where, and a member whose
    phone opens the customer page (the one-time code goes to the server's log)."""
    staff = [s for s in tenants.list_staff(rt, tenant_id) if s.active]
    logins = []
    cashiers = []
    for person in staff:
        if person.role in PASSWORDS:
            web_auth.set_password(rt, tenant_id, person.id, PASSWORDS[person.role])
            logins.append({"email": person.email, "role": person.role,
                           "password": PASSWORDS[person.role]})
        if person.role in ("cashier", "owner"):
            web_auth.set_pin(rt, tenant_id, person.id, CASHIER_PIN)
            if person.role == "cashier":
                cashiers.append(person.name)
    with rt.db.read() as conn:
        found = member_rows.search_members(conn, tenant_id, text=None, limit=500, offset=0)
    with_phone = [m for m in found if m.phone]
    member = max(with_phone, key=lambda m: m.balance) if with_phone else None
    return {"logins": logins, "cashiers": cashiers, "pin": CASHIER_PIN,
            "member_phone_ending": masked_phone(member.phone) if member and member.phone
            else "-"}
