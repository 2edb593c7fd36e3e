"""``/v1/admin``: what an owner's key manages: the business, stores, tills, staff, keys, the
program, members and receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from regulars import errors
from regulars.api.admin_schemas import (
    ApiKeyOut,
    LedgerCheckOut,
    LotOut,
    NewOwnerKeyOut,
    NewStaffOut,
    NewStoreOut,
    NewTerminalOut,
    ProgramOut,
    ProgramVersionOut,
    ReceiptSummaryOut,
    RetentionOut,
    RotatedKeyOut,
    StaffOut,
    StoreOut,
    TenantOut,
    TerminalOut,
)
from regulars.api.deps import IdempotencyKey, Offset, Owner, PathId, QueryId, Reader, RuntimeDep
from regulars.api.errors_doc import responses
from regulars.api.member_schemas import (
    ErasureOut,
    HistoryEntryOut,
    MemberExportOut,
    MemberOut,
    ReferralInfoOut,
)
from regulars.api.openapi import NEW_MEMBER
from regulars.api.receipt_schemas import ReceiptOut
from regulars.api.reward_schemas import RewardSettingsIn, RewardSettingsOut
from regulars.api.schemas import (
    AdjustIn,
    CardIn,
    KeyIn,
    MemberIn,
    MemberPatch,
    MergeIn,
    RetentionIn,
    StaffIn,
    StoreIn,
    StorePatch,
    TerminalIn,
)
from regulars.domain.rewards.rewards import RewardSettings
from regulars.services.audit import audit
from regulars.services.checkout.results import ReceiptView
from regulars.services.ledger import admin as ledger_admin
from regulars.services.ledger import member_ledger
from regulars.services.members import members, privacy
from regulars.services.members import registration as member_registration
from regulars.services.members.members import HistoryEntry, MemberRef, MemberView
from regulars.services.program import programs
from regulars.services.rewards import referrals, rewards
from regulars.services.rewards.referrals import ReferralInfo
from regulars.services.tenancy import retention, tenants
from regulars.services.tenancy.results import (
    ApiKey,
    NewOwnerKey,
    NewStaff,
    NewStore,
    NewTerminal,
    RotatedKey,
    StaffMember,
    Store,
    TenantInfo,
    Terminal,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"])
NF = responses(errors.NotFound)


@router.get("/tenant", response_model=TenantOut)
def tenant(owner: Reader, rt: RuntimeDep) -> TenantInfo:
    return tenants.tenant_info(rt, owner.tenant_id)


@router.post("/stores", response_model=NewStoreOut, status_code=201,
             responses=responses(errors.InvalidInput, errors.Conflict))
def create_store(body: StoreIn, owner: Owner, rt: RuntimeDep) -> NewStore:
    """A store. Its code is 1 to 32 Latin letters, digits, - or _ (422 on ``code``); 409 on
    ``code`` or ``name`` when another store of the business has it (a name in any case)."""
    return tenants.create_store(rt, owner.tenant_id, code=body.code, name=body.name,
                                actor=audit.key(owner.key_id))


@router.get("/stores", response_model=list[StoreOut])
def list_stores(owner: Reader, rt: RuntimeDep) -> list[Store]:
    return tenants.list_stores(rt, owner.tenant_id)


@router.patch("/stores/{store_id}", response_model=StoreOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.Conflict))
def rename_store(store_id: PathId, body: StorePatch, owner: Owner, rt: RuntimeDep) -> Store:
    """Give the store another name (409 on ``name`` when another store has it, in any case).
    Its code stays: import files, exports and other systems name the store by it."""
    return tenants.rename_store(rt, owner.tenant_id, store_id, name=body.name,
                                actor=audit.key(owner.key_id))


@router.post("/terminals", response_model=NewTerminalOut, status_code=201, responses=responses(
    errors.InvalidInput, errors.Conflict))
def create_terminal(body: TerminalIn, owner: Owner, rt: RuntimeDep) -> NewTerminal:
    """A till and its API key. The key is shown in this answer only; it is stored hashed."""
    return tenants.create_terminal(rt, owner.tenant_id, store_id=body.store_id,
                                   code=body.code, name=body.name, actor=audit.key(owner.key_id))


@router.get("/terminals", response_model=list[TerminalOut])
def list_terminals(owner: Reader, rt: RuntimeDep) -> list[Terminal]:
    return tenants.list_terminals(rt, owner.tenant_id)


@router.post("/terminals/{terminal_id}/rotate-key", response_model=RotatedKeyOut, responses=NF)
def rotate_terminal_key(terminal_id: PathId, owner: Owner, rt: RuntimeDep) -> RotatedKey:
    return tenants.rotate_terminal_key(rt, owner.tenant_id, terminal_id,
                                       actor=audit.key(owner.key_id))


@router.delete("/terminals/{terminal_id}", status_code=204, responses=NF)
def revoke_terminal(terminal_id: PathId, owner: Owner, rt: RuntimeDep) -> Response:
    tenants.revoke_terminal(rt, owner.tenant_id, terminal_id, actor=audit.key(owner.key_id))
    return Response(status_code=204)


@router.post("/staff", response_model=NewStaffOut, status_code=201, responses=responses(
    errors.InvalidInput, errors.Conflict))
def create_staff(body: StaffIn, owner: Owner, rt: RuntimeDep) -> NewStaff:
    """Add a staff member (422 on ``store_id`` for a store not the business's)."""
    return tenants.create_staff(rt, owner.tenant_id, name=body.name, email=body.email,
                                role=body.role, store_id=body.store_id,
                                actor=audit.key(owner.key_id))


@router.get("/staff", response_model=list[StaffOut])
def list_staff(owner: Owner, rt: RuntimeDep) -> list[StaffMember]:
    return tenants.list_staff(rt, owner.tenant_id)


@router.get("/staff/{staff_id}", response_model=StaffOut, responses=NF)
def get_staff(staff_id: PathId, owner: Owner, rt: RuntimeDep) -> StaffMember:
    return tenants.get_staff(rt, owner.tenant_id, staff_id)


@router.post("/keys", response_model=NewOwnerKeyOut, status_code=201)
def create_key(body: KeyIn, owner: Owner, rt: RuntimeDep) -> NewOwnerKey:
    """Another owner key (shown once)."""
    return tenants.create_owner_key(rt, owner.tenant_id, body.label, body.scopes,
                                    actor=audit.key(owner.key_id))


@router.get("/keys", response_model=list[ApiKeyOut])
def list_keys(owner: Owner, rt: RuntimeDep) -> list[ApiKey]:
    return tenants.list_keys(rt, owner.tenant_id)


@router.delete("/keys/{key_id}", status_code=204, responses=NF)
def revoke_key(key_id: PathId, owner: Owner, rt: RuntimeDep) -> Response:
    tenants.revoke_key(rt, owner.tenant_id, key_id, actor=audit.key(owner.key_id))
    return Response(status_code=204)


@router.get("/program", response_model=ProgramOut)
def get_program(owner: Reader, rt: RuntimeDep) -> programs.ProgramVersion:
    """The current program version and its rules."""
    return programs.current(rt, owner.tenant_id)


@router.put("/program", response_model=ProgramOut, responses=responses(errors.InvalidInput))
async def put_program(request: Request, owner: Owner,
                      rt: RuntimeDep) -> programs.ProgramVersion:
    """Save new rules as the next program version (the full rules object, strictly typed).
    Earlier accruals keep the version that produced them."""
    raw = await request.body()
    program = programs.parse_rules(None, strict_json=raw)
    version = programs.save(rt, owner.tenant_id, program, actor=audit.key(owner.key_id))
    return programs.ProgramVersion(version=version, rules=program)


@router.get("/program/versions", response_model=list[ProgramVersionOut])
def program_versions(owner: Reader, rt: RuntimeDep) -> list[programs.VersionNote]:
    return programs.history(rt, owner.tenant_id)


@router.post("/members", response_model=MemberOut, responses={
    **responses(errors.InvalidInput, errors.DuplicateIdentifier), **NEW_MEMBER})
def register(body: MemberIn, owner: Owner, rt: RuntimeDep, response: Response) -> MemberView:
    member, created = member_registration.register(rt, owner.tenant_id, body.to_registration())
    response.status_code = 201 if created else 200
    return member


@router.get("/members", response_model=list[MemberOut])
def search_members(owner: Reader, rt: RuntimeDep,
                   q: Annotated[str | None, Query(max_length=200)] = None, limit: int = 50,
                   offset: Offset = 0) -> list[MemberView]:
    """Search by phone (any format), card, or part of a name (``%`` and ``_`` are letters,
    not wildcards)."""
    if not 1 <= limit <= 500 or offset < 0:
        raise errors.InvalidInput("limit must lie between 1 and 500", field="limit")
    return members.search(rt, owner.tenant_id, text=q, limit=limit, offset=offset)


@router.get("/members/{member_id:int}", response_model=MemberOut, responses=NF)
def get_member(member_id: PathId, owner: Reader, rt: RuntimeDep) -> MemberView:
    return members.get(rt, owner.tenant_id, MemberRef(id=member_id))


@router.patch("/members/{member_id:int}", response_model=MemberOut,
              responses=responses(errors.NotFound, errors.InvalidInput))
def patch_member(member_id: PathId, body: MemberPatch, owner: Owner,
                 rt: RuntimeDep) -> MemberView:
    return member_registration.update_profile(rt, owner.tenant_id, member_id,
                                              body.model_dump(exclude_unset=True))


@router.post("/members/{member_id}/cards", response_model=MemberOut, responses=responses(
    errors.NotFound, errors.DuplicateIdentifier, errors.InvalidInput))
def add_card(member_id: PathId, body: CardIn, owner: Owner, rt: RuntimeDep) -> MemberView:
    return member_registration.add_card(rt, owner.tenant_id, member_id, body.card)


@router.post("/members/{member_id}/adjust", response_model=MemberOut, responses=responses(
    errors.NotFound, errors.InvalidInput, errors.InsufficientPoints,
    errors.IdempotencyMismatch))
def adjust(member_id: PathId, body: AdjustIn, owner: Owner, rt: RuntimeDep,
           key: IdempotencyKey) -> MemberView:
    """Add or take away points by hand; a reason is required and kept in the history."""
    return member_ledger.adjust(rt, owner.tenant_id, member_id, points=body.points,
                                reason=body.reason, key=key, actor=audit.key(owner.key_id))


@router.post("/members/merge", response_model=MemberOut, responses=responses(
    errors.NotFound, errors.Conflict, errors.InvalidInput, errors.IdempotencyMismatch))
def merge(body: MergeIn, owner: Owner, rt: RuntimeDep, key: IdempotencyKey) -> MemberView:
    """Merge a duplicate member into another: identifiers, receipts, points and their expiry
    dates move through the ledger."""
    return member_ledger.merge(rt, owner.tenant_id, source_id=body.source_id,
                               target_id=body.target_id, key=key)


@router.post("/members/{member_id}/erase", response_model=ErasureOut, responses=NF)
def erase_member(member_id: PathId, owner: Owner, rt: RuntimeDep) -> privacy.Erasure:
    """Erase the member's personal data (GDPR Art. 17): identifiers and profile are cleared,
    the row stays as an anonymous shell that keeps its points, ledger entries and receipts
    so the books stay whole. Erasing again answers the same, with ``already_erased``."""
    return privacy.erase(rt, owner.tenant_id, member_id, actor=audit.key(owner.key_id))


@router.get("/members/{member_id}/export", response_model=MemberExportOut, responses=NF)
def export_member(member_id: PathId, owner: Owner, rt: RuntimeDep) -> privacy.MemberExport:
    """Everything held about the member (GDPR Art. 15); the export is on the audit trail."""
    return privacy.export(rt, owner.tenant_id, member_id, actor=audit.key(owner.key_id))


@router.get("/members/{member_id}/history", response_model=list[HistoryEntryOut],
            responses=NF)
def history(member_id: PathId, owner: Reader, rt: RuntimeDep, limit: int = 50,
            before_id: QueryId = None) -> list[HistoryEntry]:
    return member_ledger.history(rt, owner.tenant_id, member_id, limit=limit, before_id=before_id)


@router.get("/members/{member_id}/referral", response_model=ReferralInfoOut, responses=NF)
def referral(member_id: PathId, owner: Reader, rt: RuntimeDep) -> ReferralInfo:
    """The member's referral code and link, who invited them and how many they invited."""
    return referrals.referral_info(rt, owner.tenant_id, member_id)


@router.get("/rewards", response_model=RewardSettingsOut)
def get_rewards(owner: Reader, rt: RuntimeDep) -> RewardSettings:
    """Referral, birthday, profile and event-type rewards."""
    return rewards.get_settings(rt, owner.tenant_id)


@router.put("/rewards", response_model=RewardSettingsOut,
            responses=responses(errors.InvalidInput))
def put_rewards(body: RewardSettingsIn, owner: Owner, rt: RuntimeDep) -> RewardSettings:
    """Replace the reward settings (the whole object; what is left out is off). Referrals
    already linked keep the terms they were linked with."""
    return rewards.put_settings(rt, owner.tenant_id, body.to_settings(),
                                actor=audit.key(owner.key_id))


@router.get("/retention", response_model=RetentionOut)
def get_retention(owner: Reader, rt: RuntimeDep) -> retention.Retention:
    """How long one-time-code rows and stored answers are kept, in days."""
    return retention.get(rt, owner.tenant_id)


@router.put("/retention", response_model=RetentionOut,
            responses=responses(errors.InvalidInput))
def put_retention(body: RetentionIn, owner: Owner, rt: RuntimeDep) -> retention.Retention:
    """Set the retention periods (on the audit trail); the ``retention`` job purges older
    rows."""
    return retention.put(rt, owner.tenant_id, otp_days=body.otp_days,
                         idempotency_days=body.idempotency_days, actor=audit.key(owner.key_id))


@router.get("/members/{member_id}/lots", response_model=list[LotOut], responses=NF)
def lots(member_id: PathId, owner: Reader, rt: RuntimeDep) -> list[member_ledger.OpenLot]:
    return member_ledger.lots(rt, owner.tenant_id, member_id)


@router.get("/receipts", response_model=list[ReceiptSummaryOut])
def list_receipts(owner: Reader, rt: RuntimeDep, member_id: QueryId = None, limit: int = 50,
                  before_id: QueryId = None) -> list[ledger_admin.ReceiptSummary]:
    return ledger_admin.receipts_list(rt, owner.tenant_id, member_id=member_id, limit=limit,
                                 before_id=before_id)


@router.get("/receipts/{receipt_id}", response_model=ReceiptOut, responses=NF)
def get_receipt(receipt_id: PathId, owner: Reader, rt: RuntimeDep) -> ReceiptView:
    return ledger_admin.receipt(rt, owner.tenant_id, receipt_id)


@router.get("/ledger/check", response_model=LedgerCheckOut)
def ledger_check(owner: Reader, rt: RuntimeDep) -> ledger_admin.LedgerCheck:
    """Reconcile cached balances with postings and open lots for this tenant."""
    return ledger_admin.check_tenant(rt, owner.tenant_id)
