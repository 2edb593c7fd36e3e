"""Request bodies are capped (``REGULARS_MAX_BODY_BYTES``, 1 MB by default): a larger one is
answered 413 ``payload_too_large``, and the process reads no more of it than the cap and one
chunk, whether the length is announced or not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.api.app import create_app
from regulars.config import Settings
from regulars.db.engine import Database
from regulars.services.runtime import Runtime
from tests.conftest import FakeClock, Shop, make_shop

CHUNK_BYTES = 64 * 1024


@pytest.fixture
def small(database_url: str, clock: FakeClock) -> Iterator[Runtime]:
    runtime = Runtime(db=Database.from_url(database_url), clock=clock,
                      settings=Settings(database_url=database_url, max_body_bytes=4096))
    yield runtime
    runtime.close()


def test_a_body_over_the_default_cap_is_refused_unread(client: TestClient, shop: Shop) -> None:
    padding = "x" * (1_048_576 + 1)
    answer = client.post("/v1/pos/members", headers=shop.till(),
                         content=json.dumps({"phone": "+7 800 775-01-11", "pad": padding}),
                         )
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large"
    assert "1048576 bytes" in answer.json()["detail"]
    assert client.post("/v1/pos/members", headers=shop.till(),
                       json={"phone": "+7 800 775-01-11"}).status_code == 201


def test_the_cap_is_a_setting(small: Runtime) -> None:
    shop = make_shop(small)
    with TestClient(create_app(small)) as client:
        big = client.post("/v1/admin/stores", headers=shop.owner,
                          json={"code": "north", "name": "N" * 5000})
        assert big.status_code == 413
        assert big.json() == {"error": "payload_too_large",
                              "detail": "the request body is larger than 4096 bytes"}
        assert client.post("/v1/admin/stores", headers=shop.owner,
                           json={"code": "north", "name": "North"}).status_code == 201


def test_a_garbled_length_is_refused(client: TestClient, shop: Shop) -> None:
    answer = client.post("/v1/pos/members", headers={**shop.till(), "Content-Length": "12x"},
                         content=b'{"phone": 1}')
    assert answer.status_code == 413


def test_a_body_without_a_length_is_read_no_further_than_the_cap(small: Runtime) -> None:
    """A chunked body of 4 MB: the process pulls the cap and one chunk, then answers."""
    shop = make_shop(small)
    app = create_app(small)
    pulled: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        pulled.append(CHUNK_BYTES)
        return {"type": "http.request", "body": b" " * CHUNK_BYTES, "more_body": len(pulled) < 64}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/pos/quote", "raw_path": b"",
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 1234),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {shop.till_keys[0]}".encode())]}
    # A loop of its own in a thread of its own: the browser tests' driver keeps an event loop
    # running in the main thread for the whole session.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(app(scope, receive, send))).result()
    assert sum(pulled) <= 4096 + CHUNK_BYTES
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"] == "payload_too_large"
    assert len([m for m in sent if m["type"] == "http.response.start"]) == 1
