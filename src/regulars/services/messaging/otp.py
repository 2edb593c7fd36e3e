"""One-time codes sent to a member's phone: to sign in to the customer page, and to confirm
spending points above the program's threshold at a till.

A code has 6 digits, lives 5 minutes and takes at most 5 attempts. Asking for codes is
limited per phone number (3 in 10 minutes, 10 a day) and per till (60 an hour). A new code
replaces the previous one for the same number and purpose. Each attempt is counted by a
conditional update before the code is compared, and a right code is used by another, so
parallel guesses cannot exceed the cap and a code works once.

Failure modes: :class:`CodeRefused` (wrong, expired, used up, or never sent),
:class:`TooManyAttempts` (rate limit, with the seconds to wait), :class:`DeliveryFailed`
(the sender could not deliver; no code is stored then).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from regulars.db.messaging import one_time_codes as codes
from regulars.db.tenancy.tenancy import TenantRow
from regulars.db.web_sessions import sessions as web
from regulars.errors import CodeRefused, NotFound, TooManyAttempts
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.messaging.messaging import TextMessage
from regulars.services.runtime import Runtime
from regulars.services.tenancy.tenants import get_tenant
from regulars.text import i18n
from regulars.text.i18n import N_

DIGITS = 6
LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PER_PHONE = ((timedelta(minutes=10), 3), (timedelta(days=1), 10))
PER_TILL = ((timedelta(hours=1), 60),)
PURPOSES = ("sign_in", "spend", "phone_change")


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def _lock_phone(conn: Connection, tenant_id: int, phone: str) -> None:
    """Serialise issuing per number (PostgreSQL; SQLite already serialises writers)."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"otp:{tenant_id}:{phone}".encode()).digest()
        conn.execute(text("select pg_advisory_xact_lock(:k)"),
                     {"k": int.from_bytes(digest[:8], "big", signed=True)})


def send_code(rt: Runtime, tenant_id: int, ref: MemberRef, *, purpose: str,
              terminal_id: int | None = None) -> str:
    """Send a new code to the member's phone; return the number it went to (E.164).
    Raises :class:`NotFound` when no active member has that identifier or it has no phone."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    with rt.db.write() as conn:
        member = members.find(conn, tenant_id, tenant.phone_region, ref)
        if member is None or member.phone is None:
            raise NotFound("no member with this phone number", field="phone")
        phone = member.phone
        _issue(rt, conn, tenant, member.id, phone, purpose=purpose, terminal_id=terminal_id,
               code=code, now=now)
    return phone


def send_code_to_number(rt: Runtime, tenant_id: int, member_id: int, phone: str, *,
                        purpose: str) -> None:
    """Send a new code to ``phone`` (E.164), a number the member does not have yet (to
    confirm it is theirs before it replaces their own), in the member's language; the same
    limits as :func:`send_code`. Raises :class:`NotFound` for an unknown member."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    tenant = get_tenant(rt, tenant_id)
    now = rt.now()
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    with rt.db.write() as conn:
        if members.find(conn, tenant_id, tenant.phone_region, MemberRef(id=member_id)) is None:
            raise NotFound("member not found")
        _issue(rt, conn, tenant, member_id, phone, purpose=purpose, terminal_id=None,
               code=code, now=now)


def _issue(rt: Runtime, conn: Connection, tenant: TenantRow, member_id: int, phone: str, *,
           purpose: str, terminal_id: int | None, code: str, now: datetime) -> None:
    """Store ``code`` for ``phone`` within its limits and text it, in the caller's
    transaction."""
    tenant_id = tenant.id
    salt = secrets.token_hex(8)
    _take_phone_quota(conn, tenant_id, phone, now)
    if terminal_id is not None:
        codes.lock_terminal(conn, tenant_id, terminal_id)
        for window, cap in PER_TILL:
            if codes.count_codes(conn, tenant_id, terminal_id=terminal_id,
                                 since=now - window) >= cap:
                raise TooManyAttempts("too many codes asked at this till; try later",
                                      retry_after_seconds=int(window.total_seconds()))
    codes.insert_code(conn, tenant_id=tenant_id, phone=phone, purpose=purpose, salt=salt,
                      code_hash=_hash(salt, code), terminal_id=terminal_id,
                      expires_at=now + LIFETIME, now=now)
    language, _ = i18n.choose(own=web.member_locale(conn, tenant_id, member_id),
                              tenant_locale=tenant.locale)
    body = i18n.translate(language, "%(business)s: your code is %(code)s. It is valid for "
                                  "5 minutes. Do not tell it to anyone.",
                        business=tenant.name, code=code)
    # Sent inside the transaction: if delivery fails, no code is stored.
    rt.sms().send(TextMessage(tenant_id=tenant_id, phone=phone, text=body))


def _take_phone_quota(conn: Connection, tenant_id: int, phone: str, now: datetime) -> None:
    """Refuse a code for ``phone`` over its limits (with the number locked, so parallel asks
    cannot both pass the last place)."""
    _lock_phone(conn, tenant_id, phone)
    for window, cap in PER_PHONE:
        if codes.count_codes(conn, tenant_id, phone=phone, since=now - window) >= cap:
            raise TooManyAttempts("too many codes asked for this number; try later",
                                  retry_after_seconds=int(window.total_seconds()),
                                  field="phone")


def send_decoy(rt: Runtime, tenant_id: int, phone: str) -> None:
    """Answer a sign-in request for a number that is no member's as if a code was sent: it
    counts against the number's limits and stores a code no input can match, so neither the
    limits nor a wrong-code answer tell members from other numbers. Nothing is sent."""
    now = rt.now()
    with rt.db.write() as conn:
        _take_phone_quota(conn, tenant_id, phone, now)
        codes.insert_code(conn, tenant_id=tenant_id, phone=phone, purpose="sign_in",
                          salt=secrets.token_hex(8), code_hash=secrets.token_hex(32),
                          terminal_id=None, expires_at=now + LIFETIME, now=now)


def verify(rt: Runtime, tenant_id: int, phone: str, code: str, *, purpose: str) -> int:
    """Check ``code`` against the newest code sent to ``phone`` for ``purpose``; return its
    id for :func:`use`. The attempt is counted in a transaction of its own, committed even
    when the code is wrong."""
    code = code.strip().replace(" ", "")
    now = rt.now()
    refusal: str | None = None
    params: dict[str, object] = {}
    with rt.db.write() as conn:
        found = codes.newest_code(conn, tenant_id, phone, purpose)
        if found is None:
            refusal = N_("no code was sent to this number; ask for one")
        elif found["used_at"] is not None:
            refusal = N_("this code was already used; ask for a new one")
        elif found["expires_at"] <= now:
            refusal = N_("the code has expired; ask for a new one")
        elif not codes.take_attempt(conn, tenant_id, found["id"], max_attempts=MAX_ATTEMPTS,
                                    now=now):
            refusal = N_("too many wrong attempts; ask for a new code")
        elif not (len(code) == DIGITS and code.isdigit()
                  and hmac.compare_digest(_hash(found["salt"], code), found["code_hash"])):
            left = MAX_ATTEMPTS - found["attempts"] - 1
            refusal = (N_("the code is wrong (%(left)s attempts left)") if left > 0
                       else N_("the code is wrong; ask for a new one"))
            params = {"left": left} if left > 0 else {}
    if refusal is not None or found is None:
        raise CodeRefused(refusal or "no code", field="code", params=params)
    return int(found["id"])


def use(conn: Connection, tenant_id: int, code_id: int, now: datetime) -> None:
    """Use a verified code inside the caller's transaction: it works once, and stays unused
    if that transaction rolls back."""
    if not codes.use_code(conn, tenant_id, code_id, now):
        raise CodeRefused("this code was already used; ask for a new one", field="code")
