"""Property-based fuzzing of the OpenAPI document: no generated request gets a 5xx,
and every answer matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api import Api

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fuzz_user(stack):
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}").sign_up("fuzz")


@pytest.fixture(scope="module")
def api_schema(stack):
    return schemathesis.openapi.from_url(f"http://127.0.0.1:{stack.port('lb_port')}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case, fuzz_user):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_user.token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
