"""Schemathesis against `/api/openapi.json`: generated requests to every operation find no 5xx and no
response that breaks the documented schema (status codes, content types, bodies, headers).

The operations are driven through schemathesis's Python API on the Flask app over WSGI (its pytest
plugin does not run on pytest 9), one hypothesis run per operation.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web_library import make_settings

EXAMPLES_PER_OPERATION = 50
# "Schema-valid request rejected" flags every 400 for input the schema cannot describe (a pasted text
# with too few distinctive words to compare); such a 400 is the documented answer, not a violation.
NOT_SCHEMA_CHECKS = [positive_data_acceptance]


@pytest.fixture(scope="module")
def api_schema(web_library):
    """The app's own OpenAPI document, served over WSGI by the app on the session library."""
    from webapp import create_app
    from webapp.resources import close_app

    app = create_app(make_settings(web_library.index_dir, rate_limit_per_minute=0), {"TESTING": True})
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    close_app(app)


def fuzz_operation(operation, counts: dict[str, int]) -> None:
    """Generated requests to one operation; each response is checked against the document."""
    label = operation.label
    counts[label] = 0

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def run(case) -> None:
        counts[label] += 1
        case.call_and_validate(excluded_checks=NOT_SCHEMA_CHECKS)

    run()


def test_api_conforms_to_its_openapi(api_schema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    counts: dict[str, int] = {}
    for operation in operations:
        fuzz_operation(operation, counts)
    print(f"\nschemathesis: {sum(counts.values())} generated requests over {len(counts)} operations, "
          f"no 5xx, no schema violation: {counts}")  # fmt: skip
    assert all(counts.values())
