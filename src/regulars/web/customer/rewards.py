"""The member's rewards: the catalogue with what they can claim, a claim confirmed before
its points are spent, and the one-time code (with its QR) shown once for the till."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from regulars.errors import RegularsError
from regulars.services.rewards import claims
from regulars.web.customer.common import MemberReader, member_id_of, qr_svg
from regulars.web.deps import Form, RuntimeDep
from regulars.web.templating import Reader, render

router = APIRouter(include_in_schema=False)


def _catalogue(request: Request, runtime: RuntimeDep, reader: Reader, tenant_id: int, *,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    found = claims.member_catalogue(runtime, tenant_id, member_id_of(reader))
    return render(request, "customer/rewards.html", reader, tenant_id=tenant_id,
                  page="rewards", catalogue=found, errors=errors or {},
                  refusal_texts=claims.REFUSED,
                  status_code=status_code)


@router.get("/{tenant_id}/rewards")
def rewards(request: Request, runtime: RuntimeDep, reader: MemberReader,
            tenant_id: int) -> Response:
    return _catalogue(request, runtime, reader, tenant_id)


@router.get("/{tenant_id}/rewards/{reward_id}/claim")
def confirm(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
            reward_id: int) -> Response:
    reward = claims.member_reward(runtime, tenant_id, reward_id)
    return render(request, "customer/reward_claim.html", reader, tenant_id=tenant_id,
                  page="rewards", reward=reward, claimed=None, qr="")


@router.post("/{tenant_id}/rewards/{reward_id}/claim")
def claim(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
          reward_id: int, form: Form) -> Response:
    del form  # read for its CSRF token only
    reward = claims.member_reward(runtime, tenant_id, reward_id)
    try:
        claimed = claims.claim_in_advance(runtime, tenant_id, member_id_of(reader), reward_id)
    except RegularsError as exc:
        if exc.status == 404:
            raise
        message = reader.gettext(exc.template, **exc.params)
        return _catalogue(request, runtime, reader, tenant_id, errors={"_form": message},
                          status_code=409)
    return render(request, "customer/reward_claim.html", reader, tenant_id=tenant_id,
                  page="rewards", reward=reward, claimed=claimed, qr=qr_svg(claimed.code))
