"""Security headers on every response; HSTS and Secure cookies over HTTPS, where a proxy's
X-Forwarded-Proto counts only when the settings say to trust it."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.api.security_headers import CSP
from regulars.services.runtime import Runtime

LANGUAGE = "/language?lang=ru&back=/"


def test_every_response_carries_the_policy(client: TestClient) -> None:
    for path in ("/console/setup", "/v1/health", "/static/regulars.css", "/no/such/page"):
        response = client.get(path, follow_redirects=False)
        assert response.headers["content-security-policy"] == CSP, path
        assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers
    plain = client.get(LANGUAGE, follow_redirects=False)
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_https_adds_hsts_and_secure_cookies(rt: Runtime) -> None:
    with TestClient(create_app(rt), base_url="https://testserver") as client:
        response = client.get(LANGUAGE, follow_redirects=False)
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert "; Secure" in response.headers["set-cookie"]


def test_forwarded_proto_counts_only_when_trusted(rt: Runtime) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    with TestClient(create_app(rt)) as client:
        untrusted = client.get(LANGUAGE, headers=forwarded, follow_redirects=False)
        assert "strict-transport-security" not in untrusted.headers
        assert "secure" not in untrusted.headers["set-cookie"].lower()
    trusting = dataclasses.replace(rt, settings=rt.settings.model_copy(
        update={"trust_forwarded_proto": True}))
    with TestClient(create_app(trusting)) as client:
        trusted = client.get(LANGUAGE, headers=forwarded, follow_redirects=False)
        assert "strict-transport-security" in trusted.headers
        assert "; Secure" in trusted.headers["set-cookie"]
        plain = client.get(LANGUAGE, headers={"X-Forwarded-Proto": "http"},
                           follow_redirects=False)
        assert "strict-transport-security" not in plain.headers


def test_the_icon_browsers_ask_for_is_served_from_our_own_files(client: TestClient) -> None:
    asked = client.get("/favicon.ico", follow_redirects=False)
    assert (asked.status_code, asked.headers["location"]) == (301, "/static/favicon.svg")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/console/login").text
