"""A member's personal data: erasure (GDPR Art. 17) and export of everything held (Art. 15).

Erasure keeps the member's row as an anonymous shell, because the ledger's accounts and
entries and the receipts (kept for accounting) refer to it: every identifier (phone, cards,
QR token, external id) and the profile (names, e-mail, birthday, language, consent, referral
code, device hash) are cleared, the member's customer-page sessions end, one-time-code rows
and messages for their phone and e-mail are deleted, and the answers stored on their receipts
lose what identified them. An erased member is found by no identifier (nor by id at a till or
in a search); the same phone registered again makes a new member.

Points and wallet money are left on the shell's accounts, untouched: the ledger stays
balanced with no new entry, a refund of an earlier receipt still reverses exactly what it
produced, points still expire under the program's own rules, and money a customer paid for
is not forfeited by asking to be forgotten. The erasure is on the audit trail (the member's
id and counts, no personal data). Erasing twice changes nothing the second time.

Failure modes: :class:`NotFound` (no such member in this tenant).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import zipfile
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from regulars.db.checkout import receipts
from regulars.db.members import members
from regulars.db.messaging import one_time_codes as codes
from regulars.db.messaging import outbox
from regulars.db.web_sessions import sessions as web
from regulars.errors import NotFound
from regulars.services.audit import audit
from regulars.services.checkout.idempotency import withhold_personal
from regulars.services.messaging.otp import phone_digest
from regulars.services.results import to_json
from regulars.services.runtime import Runtime

EXPORT_ROWS_MAX = 100_000


@dataclass(frozen=True, kw_only=True)
class Erasure:
    """What an erasure did: when the member was erased, whether an earlier call had done it
    already, and what stays on the anonymous shell (points and receipts)."""

    member_id: int
    erased_at: datetime
    already_erased: bool
    balance_points: int
    receipts_kept: int


def erase(rt: Runtime, tenant_id: int, member_id: int, *, actor: audit.Actor) -> Erasure:
    """Erase a member's personal data in one transaction (see the module's docstring).
    Raises :class:`NotFound`."""
    now = rt.now()
    with rt.db.write() as conn:
        row = members.get_member(conn, tenant_id, member_id)
        if row is None:
            raise NotFound("member not found")
        kept = receipts.member_receipts(conn, tenant_id, member_id)
        if row.erased_at is not None:
            return Erasure(member_id=member_id, erased_at=row.erased_at, already_erased=True,
                           balance_points=row.balance, receipts_kept=len(kept))
        members.erase_member(conn, tenant_id, member_id, qr_token=secrets.token_urlsafe(32),
                             now=now)
        web.revoke_member_sessions(conn, tenant_id, member_id, now)
        if row.phone:
            codes.delete_codes_of(conn, tenant_id, phone_digest(rt, tenant_id, row.phone))
        messages = outbox.forget_recipients(
            conn, tenant_id, [a for a in (row.phone, row.email) if a])
        for receipt in kept:
            if isinstance(receipt["response"], dict):
                withheld = withhold_personal(receipt["response"])
                if withheld != receipt["response"]:
                    receipts.set_receipt_response(conn, tenant_id, receipt["id"], withheld)
        audit.record(conn, tenant_id, actor, "member.erase", f"member {member_id}", at=now,
                     receipts_kept=len(kept), messages_deleted=messages,
                     balance_points=row.balance)
        return Erasure(member_id=member_id, erased_at=now, already_erased=False,
                       balance_points=row.balance, receipts_kept=len(kept))


@dataclass(frozen=True, kw_only=True)
class ExportedProfile:
    phone: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    birthday: date | None
    consent: str
    profile: dict[str, Any]
    locale: str | None
    external_id: str | None
    referral_code: str | None
    referrer_id: int | None
    store_id: int | None
    status: str
    created_at: datetime
    erased_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class ExportedIdentifier:
    kind: str
    value: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExportedAccount:
    asset: str
    balance: int
    held: int
    debt: int


@dataclass(frozen=True, kw_only=True)
class ExportedEntry:
    id: int
    code: str
    asset: str  # ``points``, or money (the wallet's, a gift card's) in minor units
    points: int
    receipt_id: int | None
    store_id: int | None
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExportedReceipt:
    id: int
    receipt_no: str
    store_id: int
    status: str
    gross_minor: int
    discount_minor: int
    paid_minor: int
    points_spent: int
    points_earned: int
    refunded_paid_minor: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class MemberExport:
    """Everything held about one member: the profile and identifiers, the accounts, every
    ledger entry and every receipt."""

    member_id: int
    exported_at: datetime
    profile: ExportedProfile
    identifiers: tuple[ExportedIdentifier, ...]
    accounts: tuple[ExportedAccount, ...]
    entries: tuple[ExportedEntry, ...]
    receipts: tuple[ExportedReceipt, ...]


def _pick(cls: Any, row: dict[str, Any]) -> Any:
    return cls(**{name: row[name] for name in cls.__dataclass_fields__})


def export(rt: Runtime, tenant_id: int, member_id: int, *, actor: audit.Actor) -> MemberExport:
    """Everything held about the member, read and recorded on the audit trail in one
    transaction. Raises :class:`NotFound`."""
    now = rt.now()
    with rt.db.write() as conn:
        record = members.member_record(conn, tenant_id, member_id)
        if record is None:
            raise NotFound("member not found")
        found = MemberExport(
            member_id=member_id, exported_at=now,
            profile=_pick(ExportedProfile, {**record, "profile": dict(record["profile"])}),
            identifiers=tuple(_pick(ExportedIdentifier, i)
                              for i in members.identifiers_of(conn, tenant_id, member_id)),
            accounts=tuple(_pick(ExportedAccount, a)
                           for a in members.member_accounts(conn, tenant_id, member_id)),
            entries=tuple(_pick(ExportedEntry, e) for e in reversed(members.history(
                conn, tenant_id, member_id, limit=EXPORT_ROWS_MAX, before_id=None,
                asset=None))),
            receipts=tuple(_pick(ExportedReceipt, r)
                           for r in receipts.member_receipts(conn, tenant_id, member_id)))
        audit.record(conn, tenant_id, actor, "member.export", f"member {member_id}", at=now,
                     entries=len(found.entries), receipts=len(found.receipts))
    return found


def export_json(found: MemberExport) -> str:
    """The export as one JSON document (what the API answers)."""
    return json.dumps(to_json(found), ensure_ascii=False, indent=2)


def export_archive(found: MemberExport) -> bytes:
    """The export as a zip: ``member.json`` (everything) and one CSV per list (identifiers,
    accounts, entries, receipts) for a spreadsheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("member.json", export_json(found))
        for name, rows, cls in (("identifiers", found.identifiers, ExportedIdentifier),
                                ("accounts", found.accounts, ExportedAccount),
                                ("entries", found.entries, ExportedEntry),
                                ("receipts", found.receipts, ExportedReceipt)):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow([f.name for f in fields(cls)])
            for row in rows:
                writer.writerow(to_json(row).values())
            archive.writestr(f"{name}.csv", text.getvalue())
    return out.getvalue()
