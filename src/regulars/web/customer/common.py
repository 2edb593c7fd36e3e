"""What the customer pages share: the signed-in member's reader and the QR card's SVG."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import Depends, Request

from regulars.web.deps import MemberSession, RuntimeDep, reader_for
from regulars.web.templating import Reader


def member_reader(request: Request, runtime: RuntimeDep, session: MemberSession,
                  tenant_id: int) -> Reader:
    return reader_for(runtime, request, session, tenant_id)


MemberReader = Annotated[Reader, Depends(member_reader)]


def member_id_of(reader: Reader) -> int:
    """The signed-in member (a :data:`MemberReader` always has one)."""
    assert reader.session is not None and reader.session.member_id is not None
    return reader.session.member_id


def qr_svg(content: str) -> str:
    """An inline SVG QR code of ``content`` that scales to its box (viewBox, no size)."""
    return str(segno.make(content, error="m").svg_inline(
        scale=1, border=4, omitsize=True, dark="#000", light="#fff"))
