"""Where a webhook delivery connects: to the address its host's one lookup gave and the check
passed, never to what a second lookup answers (DNS rebinding), with the host name kept in
the ``Host`` header and, over https, in the certificate check. Real receivers, and a name
server of the test's own whose answers change between calls."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from regulars.services.messaging import webhooks
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop
from tests.e2e.test_webhooks_api import Receiver, receiver, sell, subscribe

__all__ = ["receiver"]  # the fixture, shared with the webhooks' other tests

PUBLIC = "93.184.216.34"


@dataclass
class NameServer:
    """Answers the n-th lookup with ``answers[n]`` (the last one from then on) and keeps
    the names it was asked."""

    answers: list[list[str]]
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


def test_each_delivery_looks_its_host_up_once_and_sends_to_that_address_by_name(
    client: TestClient, shop: Shop, rt: Runtime, receiver: Receiver
) -> None:
    port = receiver.server.server_port
    other = Receiver(("127.0.0.2", port))
    other.serve()
    try:
        rt.resolver = names = NameServer([["127.0.0.1"], ["127.0.0.2"]])
        subscribe(
            client, shop, receiver, ["receipt.committed"], url=f"http://hooks.example:{port}/hooks"
        )
        sell(client, shop, "R-1")
        assert webhooks.run(rt).delivered == 1
        assert names.asked == ["hooks.example"]
        assert [r["host"] for r in receiver.received] == [f"hooks.example:{port}"]
        assert receiver.received[0]["verified_by"] == receiver.secrets
        assert other.received == []
        sell(client, shop, "R-2", phone="+79161234568")
        assert webhooks.run(rt).delivered == 1  # the next delivery's own lookup
        assert len(receiver.received) == 1 and len(other.received) == 1
        assert other.received[0]["host"] == f"hooks.example:{port}"
    finally:
        other.stop()


def test_a_name_that_answers_a_private_address_after_the_check_is_never_connected_to(
    client: TestClient, shop: Shop, rt: Runtime, clock: FakeClock, receiver: Receiver
) -> None:
    rt.settings = rt.settings.model_copy(
        update={"webhook_private_addresses_allowed": False, "webhook_timeout_seconds": 0.5}
    )
    rt.resolver = names = NameServer([[PUBLIC], [PUBLIC], ["127.0.0.1"]])
    endpoint = subscribe(
        client,
        shop,
        receiver,
        ["receipt.committed"],
        url=f"http://hooks.example:{receiver.server.server_port}/hooks",
    )
    sell(client, shop, "R-1")
    assert webhooks.run(rt).retrying == 1  # sent to the public address it checked
    assert names.asked == ["hooks.example"] * 2  # the save's check, then the delivery's
    assert receiver.received == []
    clock.advance(seconds=31)
    assert webhooks.run(rt).retrying == 1  # now 127.0.0.1: refused before connecting
    assert receiver.received == []
    [delivery] = client.get(
        f"/v1/admin/webhooks/{endpoint['endpoint']['id']}/deliveries", headers=shop.owner
    ).json()
    assert delivery["last_error"] == ("the URL's host is a loopback, link-local or private address")


def test_a_name_with_a_private_address_among_its_public_ones_is_refused(
    client: TestClient, shop: Shop, rt: Runtime
) -> None:
    rt.resolver = NameServer([[PUBLIC, "10.0.0.5"]])
    made = client.post(
        "/v1/admin/webhooks",
        headers=shop.owner,
        json={"url": "https://hooks.example/x", "event_types": ["*"]},
    )
    assert made.status_code == 422, made.text
    assert made.json()["field"] == "url"


def _tls(tmp_path: Path, name: str) -> ssl.SSLContext:
    """A server context whose certificate, for ``name``, a new authority signed; the
    authority's certificate is written to ``ca.pem``."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(UTC) - timedelta(days=1)

    def issue(subject: str, public: ec.EllipticCurvePublicKey, *, ca: bool) -> x509.Certificate:
        built = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            built = built.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return built.sign(ca_key, hashes.SHA256())

    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(
        issue("Test CA", ca_key.public_key(), ca=True).public_bytes(pem)
    )
    (tmp_path / "server.pem").write_bytes(
        issue(name, key.public_key(), ca=False).public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    return context


@pytest.mark.usefixtures("receiver")  # private addresses allowed
def test_over_https_the_certificate_is_checked_against_the_host_name_not_the_address(
    client: TestClient, shop: Shop, rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secure = Receiver(tls=_tls(tmp_path, "hooks.example"))
    secure.serve()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    try:
        rt.resolver = NameServer([["127.0.0.1"]])
        port = secure.server.server_port
        subscribe(
            client, shop, secure, ["receipt.committed"], url=f"https://hooks.example:{port}/hooks"
        )
        subscribe(
            client,
            shop,
            secure,
            ["receipt.committed"],
            url=f"https://elsewhere.example:{port}/hooks",
        )
        sell(client, shop, "R-1")
        report = webhooks.run(rt)
        assert (report.delivered, report.retrying) == (1, 1)  # elsewhere: not its certificate
        assert [r["host"] for r in secure.received] == [f"hooks.example:{port}"]
        assert secure.received[0]["verified_by"] == secure.secrets[:1]
    finally:
        secure.stop()
