"""Answers of ``/v1/admin`` and the service routes (see :mod:`regulars.api.pos_schemas` for
the conventions)."""

from __future__ import annotations

from pydantic import Field

from regulars.api.pos_schemas import Out, examples


class ReadinessOut(Out):
    """Whether this process can serve (``status`` ``ready`` or ``not ready``), why not, and
    the database schema revision found and expected."""

    model_config = examples({"status": "ready", "reason": "ok", "schema": "0042",
                             "expected_schema": "0042"})

    status: str
    reason: str
    schema_revision: str | None = Field(alias="schema")  # ``schema`` is a BaseModel method
    expected_schema: str
