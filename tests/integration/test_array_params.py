"""Array parameters written in PostgreSQL's array text form (``regulars.db.arrays``) read back
as the values they were made from."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from regulars.db import arrays
from regulars.services.runtime import Runtime

AWKWARD = ["", "plain", "a,b", "{braces}", 'say "hi"', "back\\slash", "\\\"", "NULL", " pad ",
           "ünï €", None]


def test_text_and_json_arrays_read_back_as_written(rt: Runtime) -> None:
    if rt.db.engine.dialect.name != "postgresql":
        pytest.skip("array parameters are PostgreSQL's")
    documents = [{"why": 'a "quoted" \\ word', "n": [1, 2]}, [[2167, 0, 0]], "text", None]
    with rt.db.read() as conn:
        got = conn.execute(text("SELECT CAST(:v AS varchar(20)[])"),
                           {"v": arrays.texts(AWKWARD)}).scalar_one()
        assert got == AWKWARD
        got = conn.execute(text("SELECT CAST(:v AS json[])"), {"v": arrays.texts(
            [None if d is None else json.dumps(d) for d in documents])}).scalar_one()
        assert got == documents
