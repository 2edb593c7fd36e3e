"""One-time codes sent to a member's phone: to sign in to the customer page, and to confirm
spending points above the program's threshold at a till.

A code has 6 digits, lives 5 minutes and takes at most 5 attempts. Asking for codes is
limited per phone number (3 in 10 minutes, 10 a day), per till (60 an hour), per client
address (``otp_per_client_per_hour``) and per tenant (``otp_per_tenant_per_minute``), members
and other numbers alike.

The text goes through the outbox: queued in the transaction that stores the code, then sent
at once outside it. A provider that fails or stalls holds no transaction and changes no
answer (the message is tried again by the ``messages`` job), so the answer never tells a
member's number from another. A new code
replaces the previous one for the same number and purpose. Each attempt is counted by a
conditional update before the code is compared, and a right code is used by another, so
parallel guesses cannot exceed the cap and a code works once.

Failure modes: :class:`CodeRefused` (wrong, expired, used up, or never sent),
:class:`TooManyAttempts` (rate limit, with the seconds to wait).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection

from regulars.db import locks, personal
from regulars.db.messaging import one_time_codes as codes
from regulars.db.tenancy.tenancy import TenantRow
from regulars.db.web_sessions import sessions as web
from regulars.errors import CodeRefused, NotFound, TooManyAttempts
from regulars.services.members import members
from regulars.services.members.members import MemberRef
from regulars.services.messaging import outbox
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


_DEVELOPMENT_KEY = personal.DEVELOPMENT_SECRET


def phone_digest(rt: Runtime, tenant_id: int, phone: str) -> str:
    """What a one-time-code row keeps of a phone number (E.164): an HMAC-SHA-256 keyed by the
    ``personal_data_key`` setting, so a copy of the database alone does not give the numbers
    back (ten billion candidates are quick to hash, but not without the key)."""
    key = (rt.settings.personal_data_key or _DEVELOPMENT_KEY).encode()
    return hmac.new(key, f"{tenant_id}:{phone}".encode(), hashlib.sha256).hexdigest()


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def client_key(address: str | None) -> str | None:
    """What is stored of a client's address for its cap: a digest, not the address."""
    if not address:
        return None
    return hashlib.sha256(f"otp-client:{address}".encode()).hexdigest()[:32]


def send_code(rt: Runtime, tenant_id: int, ref: MemberRef, *, purpose: str,
              terminal_id: int | None = None, client: str | None = None) -> str:
    """Send a new code to the member's phone; return the number it went to (E.164).
    Raises :class:`NotFound` when no active member has that identifier or it has no phone,
    :class:`TooManyAttempts` over a cap. ``client`` is the asking address (sign-in page)."""
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
        message_id = _issue(rt, conn, tenant, member.id, phone, purpose=purpose,
                            terminal_id=terminal_id, client=client, code=code, now=now)
    outbox.deliver(rt, tenant_id, message_id)  # at once, outside the transaction
    return phone


def send_code_to_number(rt: Runtime, tenant_id: int, member_id: int, phone: str, *,
                        purpose: str, client: str | None = None) -> None:
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
        message_id = _issue(rt, conn, tenant, member_id, phone, purpose=purpose,
                            terminal_id=None, client=client, code=code, now=now)
    outbox.deliver(rt, tenant_id, message_id)  # at once, outside the transaction


def _issue(rt: Runtime, conn: Connection, tenant: TenantRow, member_id: int, phone: str, *,
           purpose: str, terminal_id: int | None, client: str | None, code: str,
           now: datetime) -> int:
    """Store ``code`` for ``phone`` within its limits and queue its text, in the caller's
    transaction; the queued message's id (delivered at once once that commits)."""
    tenant_id = tenant.id
    salt = secrets.token_hex(8)
    _take_quotas(rt, conn, tenant_id, phone, client, now)
    if terminal_id is not None:
        codes.lock_terminal(conn, tenant_id, terminal_id)
        for window, cap in PER_TILL:
            if codes.count_codes(conn, tenant_id, terminal_id=terminal_id,
                                 since=now - window) >= cap:
                raise TooManyAttempts("too many codes asked at this till; try later",
                                      retry_after_seconds=int(window.total_seconds()))
    code_id = codes.insert_code(conn, tenant_id=tenant_id,
                                phone_hash=phone_digest(rt, tenant_id, phone), purpose=purpose,
                                salt=salt, code_hash=_hash(salt, code),
                                terminal_id=terminal_id, client_key=client_key(client),
                                expires_at=now + LIFETIME, now=now)
    language, _ = i18n.choose(own=web.member_locale(conn, tenant_id, member_id),
                              tenant_locale=tenant.locale)
    body = i18n.translate(language, "%(business)s: your code is %(code)s. It is valid for "
                                  "5 minutes. Do not tell it to anyone.",
                        business=tenant.name, code=code)
    return outbox.queue(conn, tenant_id, key=f"otp:{code_id}", channel="sms",
                        recipient=phone, body=body, now=now, erase_after_send=True)


def _take_quotas(rt: Runtime, conn: Connection, tenant_id: int, phone: str,
                 client: str | None, now: datetime) -> None:
    """Refuse a code over the tenant's, the client's or the number's limits (with the tenant
    locked, so parallel asks cannot both pass the last place)."""
    locks.sole_lock(conn, f"otp:{tenant_id}")
    minute = timedelta(minutes=1)
    if codes.count_codes(conn, tenant_id, since=now - minute) >= \
            rt.settings.otp_per_tenant_per_minute:
        raise TooManyAttempts("too many codes asked just now; try again in a minute",
                              retry_after_seconds=60)
    key = client_key(client)
    if key is not None and codes.count_codes(conn, tenant_id, client_key=key,
                                             since=now - timedelta(hours=1)) >= \
            rt.settings.otp_per_client_per_hour:
        raise TooManyAttempts("too many codes asked from here; try later",
                              retry_after_seconds=3600)
    for window, cap in PER_PHONE:
        if codes.count_codes(conn, tenant_id, phone_hash=phone_digest(rt, tenant_id, phone),
                             since=now - window) >= cap:
            raise TooManyAttempts("too many codes asked for this number; try later",
                                  retry_after_seconds=int(window.total_seconds()),
                                  field="phone")


def send_decoy(rt: Runtime, tenant_id: int, phone: str, *, client: str | None = None) -> None:
    """Answer a sign-in request for a number that is no member's as if a code was sent: it
    counts against the number's limits and stores a code no input can match, so neither the
    limits nor a wrong-code answer tell members from other numbers. Nothing is sent."""
    now = rt.now()
    with rt.db.write() as conn:
        _take_quotas(rt, conn, tenant_id, phone, client, now)
        codes.insert_code(conn, tenant_id=tenant_id,
                          phone_hash=phone_digest(rt, tenant_id, phone), purpose="sign_in",
                          salt=secrets.token_hex(8), code_hash=secrets.token_hex(32),
                          terminal_id=None, client_key=client_key(client),
                          expires_at=now + LIFETIME, now=now)


def verify(rt: Runtime, tenant_id: int, phone: str, code: str, *, purpose: str) -> int:
    """Check ``code`` against the newest code sent to ``phone`` for ``purpose``; return its
    id for :func:`use`. The attempt is counted in a transaction of its own, committed even
    when the code is wrong."""
    code = code.strip().replace(" ", "")
    now = rt.now()
    refusal: str | None = None
    params: dict[str, object] = {}
    with rt.db.write() as conn:
        found = codes.newest_code(conn, tenant_id, phone_digest(rt, tenant_id, phone), purpose)
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
