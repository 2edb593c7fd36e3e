"""The public page of a gift certificate: anyone holding its link (printed on the
certificate, as a QR code) sees its balance and expiry, never its code. An unknown, pending
or void certificate answers 404."""

from __future__ import annotations

import io
from typing import Annotated

import segno
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from regulars.services.stored_value import certificates
from regulars.web.deps import RuntimeDep, reader_for
from regulars.web.templating import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/{tenant_id}/gift/{token}")
def balance(request: Request, runtime: RuntimeDep, tenant_id: int, token: Token) -> Response:
    found = certificates.by_link(runtime, tenant_id, token)
    reader = reader_for(runtime, request, None, tenant_id)
    return render(request, "customer/gift.html", reader, tenant_id=tenant_id,
                  certificate=found, headers={"Cache-Control": "no-store"})


@router.get("/{tenant_id}/gift/{token}/qr.png")
def qr_png(request: Request, runtime: RuntimeDep, tenant_id: int, token: Token) -> Response:
    """A PNG QR code of this page's address, to print on the certificate."""
    certificates.by_link(runtime, tenant_id, token)
    out = io.BytesIO()
    address = str(request.url_for("balance", tenant_id=tenant_id, token=token))
    segno.make(address, error="m").save(out, kind="png", scale=6, border=4)
    return Response(out.getvalue(), media_type="image/png",
                    headers={"Cache-Control": "no-store"})
