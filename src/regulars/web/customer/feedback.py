"""Rating a visit (from the signed link of the points message, no sign-in needed; or from
the member's own receipt page) and the business's questions and answers, shown in the
reader's language (else the business's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from regulars.errors import Conflict, InvalidInput, NotFound
from regulars.services.feedback import faq, ratings
from regulars.services.feedback.ratings import Rating
from regulars.web.customer.account import receipt_page
from regulars.web.customer.common import MemberReader, member_id_of
from regulars.web.deps import Form, RuntimeDep, check_anonymous_csrf, reader_for, session_from
from regulars.web.forms import errors_of
from regulars.web.templating import Reader, render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=5, max_length=80, pattern=r"^[0-9]+\.[0-9]+\.[0-9a-f]+$")]
MAX_COMMENT_FIELD = 1100  # a little over the limit, so that a too-long comment is told


def _values(form: FormData) -> dict[str, str]:
    return {"rating": str(form.get("rating") or "")[:2],
            "comment": str(form.get("comment") or "")[:MAX_COMMENT_FIELD]}


def _rating_of(values: dict[str, str]) -> int:
    text = values["rating"]
    if not text.isdigit():
        raise InvalidInput("choose a rating from 1 to 5", field="rating")
    return int(text)


def _form_errors(exc: InvalidInput | Conflict, reader: Reader) -> dict[str, str]:
    found = errors_of(exc, reader)
    return found if exc.field else {"_form": reader.gettext(exc.template, **exc.params)}


def _rate_page(request: Request, reader: Reader, tenant_id: int, token: str, r: Rating, *,
               values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "customer/rate.html", reader, status_code=status_code,
                  tenant_id=tenant_id, page="rate", token=token, r=r, values=values or {},
                  errors=errors or {}, saved=saved, max_comment=1000,
                  headers={"Cache-Control": "no-store"})


@router.get("/{tenant_id}/rate/{token}")
def rate_page(request: Request, runtime: RuntimeDep, tenant_id: int, token: Token,
              saved: int = 0) -> Response:
    if not token.startswith(f"{tenant_id}."):
        raise NotFound("this link is not valid")
    r = ratings.by_token(runtime, token)
    reader = reader_for(runtime, request, None, tenant_id)
    return _rate_page(request, reader, tenant_id, token, r, saved=bool(saved))


@router.post("/{tenant_id}/rate/{token}")
def rate_by_link(request: Request, runtime: RuntimeDep, tenant_id: int, token: Token,
                 form: Form) -> Response:
    check_anonymous_csrf(request, form)
    if not token.startswith(f"{tenant_id}."):
        raise NotFound("this link is not valid")
    values = _values(form)
    try:
        ratings.rate_by_token(runtime, token, rating=_rating_of(values),
                              comment=values["comment"])
    except (InvalidInput, Conflict) as exc:
        reader = reader_for(runtime, request, None, tenant_id)
        return _rate_page(request, reader, tenant_id, token, ratings.by_token(runtime, token),
                          values=values, errors=_form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/c/{tenant_id}/rate/{token}?saved=1", status_code=303)


@router.post("/{tenant_id}/receipts/{receipt_id}/rating")
def rate_own(request: Request, runtime: RuntimeDep, reader: MemberReader, tenant_id: int,
             receipt_id: int, form: Form) -> Response:
    values = _values(form)
    member_id = member_id_of(reader)
    try:
        ratings.rate_own(runtime, tenant_id, member_id, receipt_id,
                         rating=_rating_of(values), comment=values["comment"])
    except (InvalidInput, Conflict) as exc:
        return receipt_page(request, runtime, reader, tenant_id, receipt_id, values=values,
                            errors=_form_errors(exc, reader), status_code=422)
    return RedirectResponse(f"/c/{tenant_id}/receipts/{receipt_id}?saved=1#rating",
                            status_code=303)


@router.get("/{tenant_id}/faq")
def faq_page(request: Request, runtime: RuntimeDep, tenant_id: int) -> Response:
    session = session_from(request, runtime, "member")
    if session is not None and session.tenant_id != tenant_id:
        session = None
    reader = reader_for(runtime, request, session, tenant_id)
    return render(request, "customer/faq.html", reader, tenant_id=tenant_id, page="faq",
                  entries=faq.for_member(runtime, tenant_id, reader.language))
