"""Every API operation fed inputs generated from the OpenAPI document (schemathesis): no input,
well-formed or not, gets a server error, and every answer is one the document allows."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from regulars.api.app import create_app
from tests.conftest import Shop

SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())


@SCHEMA.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, client: TestClient, shop: Shop) -> None:
    headers = shop.till() if case.path.startswith("/v1/pos") else shop.owner
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("cookies", None)  # none are used; the client refuses them per request
    if isinstance(kwargs.get("data"), str | bytes):
        kwargs["content"] = kwargs.pop("data")
    response = client.request(**kwargs)
    # Business rules refuse much that the document allows (an unknown member, a phone number
    # that is no number): the check that schema-valid input is accepted does not apply.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
