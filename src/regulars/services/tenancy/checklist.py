"""The console home's "next steps": what a new business still has to set up before its tills
sell with the program, in the order an owner does it. Shown until every step is done.

A step is done when its setting exists: the business named (with its language and time zone,
as ``regulars tenant create`` and the first-run page both do; logo and colours are optional)
or its settings saved once, a store, a till that works, a cashier with a PIN, and the program
changed from the version every business starts with.
"""

from __future__ import annotations

from dataclasses import dataclass

from regulars.db.tenancy import brand, tenancy
from regulars.services.program import programs
from regulars.services.runtime import Runtime


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    key: str
    """``business``, ``store``, ``till``, ``cashier`` or ``program``."""
    done: bool
    href: str
    """The console page where it is done."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def finished(self) -> bool:
        return all(step.done for step in self.steps)


def next_steps(rt: Runtime, tenant_id: int) -> Checklist:
    with rt.db.read() as conn:
        tenant = tenancy.get_tenant(conn, tenant_id)
        named = tenant is not None and bool(tenant.name.strip())
        branded = brand.get_brand(conn, tenant_id) is not None
        stores = tenancy.list_stores(conn, tenant_id)
        tills = [t for t in tenancy.list_terminals(conn, tenant_id) if t["revoked_at"] is None]
        cashiers = [s for s in tenancy.list_staff(conn, tenant_id)
                    if s["role"] in ("cashier", "owner") and s["active"] and s["pin_hash"]]
    version = programs.current(rt, tenant_id).version
    return Checklist(steps=(
        Step(key="business", done=named or branded, href="/console/settings/business"),
        Step(key="store", done=bool(stores), href="/console/settings#stores"),
        Step(key="till", done=bool(tills), href="/console/settings#stores"),
        Step(key="cashier", done=bool(cashiers), href="/console/settings#staff"),
        Step(key="program", done=version > 1, href="/console/program"),
    ))
