"""Helpers for page tests over HTTP: read the CSRF token a page carries, sign staff in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from regulars.services.audit import audit
from regulars.services.runtime import Runtime
from regulars.services.tenancy import tenants
from regulars.services.web_sessions import sessions as web_auth

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def add_staff(rt: Runtime, tenant_id: int, *, role: str, email: str,
              password: str = "correct horse", pin: str | None = None,
              store_id: int | None = None, language: str | None = "en") -> int:
    staff = tenants.create_staff(rt, tenant_id, name=f"{role.title()} Person", email=email,
                                 role=role, store_id=store_id, actor=audit.SYSTEM)
    web_auth.set_password(rt, tenant_id, int(staff.id), password)
    if pin is not None:
        web_auth.set_pin(rt, tenant_id, int(staff.id), pin)
    # The test shops speak Russian; tests read English unless they choose otherwise.
    web_auth.set_staff_locale(rt, tenant_id, int(staff.id), language)
    return int(staff.id)


def sign_in(client: TestClient, email: str, password: str = "correct horse") -> None:
    page = client.get("/console/login")
    response = client.post("/console/login", data={"email": email, "password": password,
                                                   "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
