"""The console's home page: the last 30 days at a glance."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from regulars.services.web_auth import Permission
from regulars.web.console import router
from regulars.web.deps import StaffReader, needs
from regulars.web.templating import render


@router.get("", dependencies=[needs(Permission.VIEW)])
def home(request: Request, reader: StaffReader) -> Response:
    return render(request, "console/home.html", reader)
