"""Schemathesis against `/api/openapi.json`: the writing operations, with the admin token, find no 5xx and
no response that breaks the documented schema (status codes, content types, bodies, headers).

`test_api_fuzz.py` drives every GET operation; this drives the POSTs (uploads of generated files with
the admin token, pasted texts) through schemathesis's Python API on the Flask app over WSGI (its pytest
plugin does not run on pytest 9), one hypothesis run per operation.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.web_library import make_settings

EXAMPLES_PER_OPERATION = 60
ADMIN = "fuzz-admin-5c1e0b7a"
# "Schema-valid request rejected" flags every 400 for input the schema cannot describe (a pasted text
# with too few distinctive words to compare); such a 400 is the documented answer, not a violation.
NOT_SCHEMA_CHECKS = [positive_data_acceptance]


@pytest.fixture(scope="module")
def api_schema(web_library, tmp_path_factory):
    """The app's own OpenAPI document, served over WSGI by the app on the session library."""
    from webapp import create_app
    from webapp.resources import close_app

    # A copy of the library: generated uploads that happen to be PDFs must not change the shared one.
    index_dir = tmp_path_factory.mktemp("fuzz-library") / "index"
    shutil.copytree(web_library.index_dir, index_dir)
    app = create_app(
        make_settings(index_dir, rate_limit_per_minute=0, admin_token=ADMIN), {"TESTING": True}
    )
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    close_app(app)


def fuzz_operation(operation, counts: dict[str, int], statuses: dict[str, set[int]]) -> None:
    """Generated requests to one operation; each response is checked against the document."""
    label = operation.label
    counts[label] = 0
    statuses[label] = set()

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def run(case) -> None:
        counts[label] += 1
        response = case.call(headers={"Authorization": f"Bearer {ADMIN}"})
        statuses[label].add(response.status_code)
        case.validate_response(response, excluded_checks=NOT_SCHEMA_CHECKS)

    run()


def test_api_conforms_to_its_openapi(api_schema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    operations = [op for op in operations if op.method.upper() != "GET"]
    assert {op.label for op in operations} >= {"POST /api/documents"}
    counts: dict[str, int] = {}
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        fuzz_operation(operation, counts, statuses)
    assert statuses["POST /api/documents"] - {401, 403}, "the admin token never got an upload through"
    print(f"\nschemathesis: {sum(counts.values())} generated requests over {len(counts)} operations, "
          f"no 5xx, no schema violation: {counts}, statuses {statuses}")  # fmt: skip
    assert all(counts.values())
