"""``/v1/admin/certificate-series``, ``/v1/admin/certificates`` and the stored-value report:
an owner's gift certificates. Codes are shown once, in the answer that issues them; only their
keyed digests are stored. ``/v1/pos/certificates/lookup``: a till checks a certificate's
balance."""

from __future__ import annotations

from fastapi import APIRouter, Response

from regulars import errors
from regulars.api.deps import IdempotencyKey, Owner, PathId, QueryId, Reader, RuntimeDep, Till
from regulars.api.errors_doc import responses
from regulars.api.pos import stored_answer
from regulars.api.stored_value_schemas import (
    CertificateCodeIn,
    CertificateOut,
    CertificateSeriesChangeIn,
    CertificateSeriesIn,
    CertificateSeriesOut,
    CertificatesIssueIn,
    IssuedCertificatesOut,
    StoredValueReportOut,
    WalletOut,
    WalletTopUpIn,
    WalletTopUpOut,
)
from regulars.services.audit import audit
from regulars.services.stored_value import certificates, wallets
from regulars.services.stored_value.certificates import IssueOrder
from regulars.services.stored_value.results import (
    CertificateView,
    IssuedCertificates,
    SeriesView,
    StoredValueReport,
)
from regulars.services.stored_value.wallets import PaidBy, WalletStatement

router = APIRouter(prefix="/v1/admin", tags=["admin"])
pos_router = APIRouter(prefix="/v1/pos", tags=["pos"])
S = "/certificate-series"


@router.post(S, status_code=201, response_model=CertificateSeriesOut,
             responses=responses(errors.InvalidInput, errors.NotFound))
def create_series(body: CertificateSeriesIn, owner: Owner, rt: RuntimeDep) -> SeriesView:
    """A new certificate series."""
    return certificates.create_series(rt, owner.tenant_id, body.to_terms(),
                                      actor=audit.key(owner.key_id))


@router.get(S, response_model=list[CertificateSeriesOut])
def list_series(owner: Reader, rt: RuntimeDep) -> tuple[SeriesView, ...]:
    return certificates.list_series(rt, owner.tenant_id)


@router.get(S + "/{series_id}", response_model=CertificateSeriesOut,
            responses=responses(errors.NotFound))
def get_series(series_id: PathId, owner: Reader, rt: RuntimeDep) -> SeriesView:
    return certificates.get_series(rt, owner.tenant_id, series_id)


@router.put(S + "/{series_id}", response_model=CertificateSeriesOut,
            responses=responses(errors.InvalidInput, errors.NotFound))
def change_series(series_id: PathId, body: CertificateSeriesChangeIn, owner: Owner,
                  rt: RuntimeDep) -> SeriesView:
    """Change a series for the certificates issued from now on; ``active: false`` stops
    issuing and selling it (issued certificates stay valid)."""
    return certificates.update_series(rt, owner.tenant_id, series_id, body.to_terms(),
                                      active=body.active, actor=audit.key(owner.key_id))


@router.post(S + "/{series_id}/certificates", status_code=201,
             response_model=IssuedCertificatesOut,
             responses=responses(errors.InvalidInput, errors.NotFound,
                                 errors.IdempotencyMismatch))
def issue(series_id: PathId, body: CertificatesIssueIn, owner: Owner, rt: RuntimeDep,
          key: IdempotencyKey, response: Response) -> IssuedCertificates:
    """Issue certificates in bulk (a corporate order), each a money account on the ledger
    credited with ``amount_minor``. The codes are in this answer only: a replay with the
    same Idempotency-Key and body issues nothing and answers the same certificates without
    their codes and links (header ``Idempotent-Replayed: true``)."""
    done = certificates.issue(rt, owner.tenant_id, IssueOrder(
        series_id=series_id, count=body.count, amount_minor=body.amount_minor,
        order_ref=body.order_ref, for_sale=body.for_sale), actor=audit.key(owner.key_id),
        key=key)
    if done.repeated:
        response.headers["Idempotent-Replayed"] = "true"
    return done


@router.get("/certificates", response_model=list[CertificateOut],
            responses=responses(errors.NotFound))
def list_certificates(owner: Reader, rt: RuntimeDep,
                      series_id: QueryId = None) -> tuple[CertificateView, ...]:
    """The latest 500 certificates (of one series when ``series_id`` is given)."""
    return certificates.list_certificates(rt, owner.tenant_id, series_id=series_id)


@router.post("/certificate-lookup", response_model=CertificateOut,
             responses=responses(errors.InvalidInput))
def look_up(body: CertificateCodeIn, owner: Owner, rt: RuntimeDep) -> CertificateView:
    """Find a certificate by its printed code."""
    return certificates.look_up(rt, owner.tenant_id, body.code)


@router.get("/certificates/{certificate_id}", response_model=CertificateOut,
            responses=responses(errors.NotFound))
def get_certificate(certificate_id: PathId, owner: Reader, rt: RuntimeDep) -> CertificateView:
    return certificates.get_certificate(rt, owner.tenant_id, certificate_id)


@router.post("/certificates/{certificate_id}/block", response_model=CertificateOut,
             responses=responses(errors.NotFound))
def block(certificate_id: PathId, owner: Owner, rt: RuntimeDep) -> CertificateView:
    """Block a lost or stolen certificate: every till refuses it until it is unblocked."""
    return certificates.set_blocked(rt, owner.tenant_id, certificate_id, blocked=True,
                                    actor=audit.key(owner.key_id))


@router.post("/certificates/{certificate_id}/unblock", response_model=CertificateOut,
             responses=responses(errors.NotFound))
def unblock(certificate_id: PathId, owner: Owner, rt: RuntimeDep) -> CertificateView:
    return certificates.set_blocked(rt, owner.tenant_id, certificate_id, blocked=False,
                                    actor=audit.key(owner.key_id))


@router.get("/stored-value/report", response_model=StoredValueReportOut)
def report(owner: Reader, rt: RuntimeDep) -> StoredValueReport:
    """Certificates sold or issued, used, expired (breakage) and outstanding per series; the
    liability of the money asset on certificates and in wallets."""
    return certificates.report(rt, owner.tenant_id)


@pos_router.post("/certificates/lookup", response_model=CertificateOut,
                 responses=responses(errors.InvalidInput))
def check_balance(body: CertificateCodeIn, till: Till, rt: RuntimeDep) -> CertificateView:
    """A certificate's balance, status and expiry, by its printed code."""
    return certificates.look_up(rt, till.tenant_id, body.code)


@pos_router.post("/wallet/top-up", response_model=WalletTopUpOut, responses=responses(
    errors.InvalidInput, errors.NotFound, errors.IdempotencyMismatch))
def top_up(body: WalletTopUpIn, till: Till, rt: RuntimeDep, key: IdempotencyKey) -> Response:
    """Put money the customer paid (cash or card) into their wallet, once per
    Idempotency-Key. The wallet then pays receipts as a tender (``kind: wallet``)."""
    return stored_answer(wallets.top_up(
        rt, till, body.member.to_ref(), amount_minor=body.amount_minor,
        paid_by=PaidBy(body.paid_by), key=key, payload=body.model_dump(mode="json")))


@pos_router.get("/members/{member_id}/wallet", response_model=WalletOut,
                responses=responses(errors.NotFound))
def till_wallet(member_id: PathId, till: Till, rt: RuntimeDep) -> WalletStatement:
    """A member's wallet balance and latest movements."""
    return wallets.statement(rt, till.tenant_id, member_id)


@router.get("/members/{member_id}/wallet", response_model=WalletOut,
            responses=responses(errors.NotFound))
def wallet(member_id: PathId, owner: Reader, rt: RuntimeDep) -> WalletStatement:
    """A member's wallet balance and statement."""
    return wallets.statement(rt, owner.tenant_id, member_id)
