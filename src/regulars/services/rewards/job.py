"""The rewards job (``regulars rewards run``): referral codes for members without one,
first-purchase referrals now due, and today's birthdays in each tenant's time zone.

Idempotent, as every payment is keyed and a referral is marked settled in the paying
transaction: a second run, or two at once, pays nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from regulars.db.rewards import rewards as store
from regulars.db.tenancy import tenancy
from regulars.domain.rewards.rewards import birthday_in
from regulars.services.messaging import notify
from regulars.services.promotions.experiments import held_out
from regulars.services.rewards.referrals import new_code, settle_first_purchase
from regulars.services.rewards.rewards import load_settings, pay_birthday
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant


@dataclass(frozen=True, kw_only=True)
class RunReport:
    codes_assigned: int
    referrals_paid: int
    birthdays_paid: int


def run(rt: Runtime, *, batch_size: int = 500) -> RunReport:
    """Give every member without one a referral code, pay first-purchase referrals whose
    member now has a standing receipt, and pay today's birthdays (each tenant's today, in its
    own time zone). Safe to run as often as wanted: a second run pays nothing more."""
    codes = referrals_paid = birthdays = 0
    with rt.db.read() as conn:
        tenant_ids = [t.id for t in tenancy.list_tenants(conn)]
    for tenant_id in tenant_ids:
        codes += _assign_codes(rt, tenant_id, batch_size)
        seen: set[int] = set()
        while True:
            with rt.db.read() as conn:
                due = [m for m in store.due_first_purchases(conn, tenant_id, batch_size)
                       if m not in seen]
            if not due:
                break
            seen.update(due)
            referrals_paid += sum(settle_first_purchase(rt, tenant_id, m) for m in due)
        tenant = get_tenant(rt, tenant_id)
        local_today = rt.now().astimezone(ZoneInfo(tenant.timezone)).date()
        with rt.db.read() as conn:
            pays = load_settings(conn, tenant_id).birthday.pays
            born = _birthdays_due(conn, tenant_id, local_today)
        _greet(rt, tenant_id, born, local_today.year)
        if pays:
            birthdays += sum(pay_birthday(rt, tenant_id, m) for m in born)
    return RunReport(codes_assigned=codes, referrals_paid=referrals_paid,
                     birthdays_paid=birthdays)


def _assign_codes(rt: Runtime, tenant_id: int, batch_size: int) -> int:
    assigned = 0
    while True:
        with rt.db.write() as conn:
            ids = store.members_without_code(conn, tenant_id, batch_size)
            for member_id in ids:
                store.set_member_rewards(conn, tenant_id, member_id,
                                         referral_code=new_code(conn, tenant_id))
        assigned += len(ids)
        if len(ids) < batch_size:
            return assigned


def _birthdays_due(conn: Connection, tenant_id: int, local_today: date) -> list[int]:
    feb_28_only = (local_today.month, local_today.day) == (2, 28) and \
        birthday_in(local_today.year, date(2000, 2, 29)) == local_today
    return store.birthday_members(conn, tenant_id, month=local_today.month,
                                  day=local_today.day, also_feb_29=feb_28_only,
                                  year=local_today.year)


def _greet(rt: Runtime, tenant_id: int, member_ids: list[int], year: int) -> None:
    """Queue the birthday message (marketing: full consent, capped, none for the programme
    holdout), once a year each."""
    if not member_ids:
        return
    with rt.db.write() as conn:
        held = held_out(conn, tenant_id, member_ids)
        notify.queue(conn, rt, tenant_id, notify.Batch(
            event="birthday", member_ids=[m for m in member_ids if m not in held],
            key=lambda m: f"birthday:{m}:{year}"), rt.now())
