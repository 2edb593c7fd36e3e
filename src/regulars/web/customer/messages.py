"""The unsubscribe page: the link at the foot of every marketing message. Opening it (GET)
asks for a confirmation and changes nothing, so that a mail scanner following every link
unsubscribes nobody; its button POSTs to the same address, which unsubscribes the member from
marketing at once (transactional messages still go). The POST needs no session or CSRF token:
the signed link is the credential, and e-mail clients POST ``List-Unsubscribe=One-Click`` to
it without cookies (RFC 8058). A link that is not a valid one answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from regulars.errors import NotFound
from regulars.services.messaging import unsubscribe
from regulars.web.deps import RuntimeDep, reader_for
from regulars.web.templating import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=5, max_length=80, pattern=r"^[0-9]+\.[0-9]+\.[0-9a-f]+$")]


@router.get("/{tenant_id}/unsubscribe/{token}")
def unsubscribe_page(request: Request, runtime: RuntimeDep, tenant_id: int,
                     token: Token) -> Response:
    if not token.startswith(f"{tenant_id}."):
        raise NotFound("this link is not valid")
    found = unsubscribe.confirm(runtime, token)
    reader = reader_for(runtime, request, None, found.tenant_id)
    return render(request, "customer/unsubscribe.html", reader, tenant_id=tenant_id,
                  program=found.program, token=token,
                  headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


@router.post("/{tenant_id}/unsubscribe/{token}")
def unsubscribe_post(request: Request, runtime: RuntimeDep, tenant_id: int,
                     token: Token) -> Response:
    """The confirmation's button, or an e-mail client's one-click POST (RFC 8058)."""
    if not token.startswith(f"{tenant_id}."):
        raise NotFound("this link is not valid")
    done = unsubscribe.unsubscribe(runtime, token)
    reader = reader_for(runtime, request, None, done.tenant_id)
    return render(request, "customer/unsubscribed.html", reader, tenant_id=tenant_id,
                  program=done.program, headers={"Cache-Control": "no-store"})
