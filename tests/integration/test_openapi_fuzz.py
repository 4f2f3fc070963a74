"""Property-based fuzzing of the OpenAPI document: no generated request to any operation
gets a 5xx, and every answer matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api import Api

pytestmark = pytest.mark.integration


def test_no_operation_answers_a_server_error(stack):
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    headers = {"Authorization": f"Bearer {Api(base).sign_up('fuzz').token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=base,
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance],
            )

        fuzz()
