"""schemathesis walks the whole JSON API against its own OpenAPI 3.1 description (civic/openapi.py), in-process on
the test app, as part of ``make test``: no 5xx, and every answer as described (docs/api.md, "The reference")."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tests.proposals import factories as proposal_factories

HOST = {"Host": "civic.test"}
#: Examples schemathesis generates for each operation (the whole walk stays well under two minutes).
EXAMPLES = 40
#: No 5xx, and the answer as described. Not "schema-valid request rejected": a filter's valid values are rows
#: (a ward's or a category's slug), which a schema describes as a pattern, so a made-up slug is rightly a 400.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_the_api_keeps_to_its_description(app):
    """schemathesis generates requests from the description for every operation (a bounded number each): no
    5xx, and every answer as described: its status, its content type, its body's schema. Run in-process on the
    test app, with a process, proposals and a comment to find."""
    author = factories.user(nickname="schema_author")
    process = proposal_factories.process(slug="schema-walk")
    proposals = [proposal_factories.proposal(process, author, title=f"Schema walk proposal {n}") for n in range(3)]
    first = factories.comment("proposal", proposals[0].id, author, body="A first comment.")
    factories.comment("proposal", proposals[0].id, author, body="A reply.", parent_id=first.id, depth=1)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=HOST)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    real = {"slug": process.slug, "proposal_id": proposals[0].id}
    for operation in operations:
        # Rows that exist, so the answers with a body are checked too, not only the 404s of made-up ids.
        names = {p.name for p in operation.path_parameters}
        # Another domain's parameter (its own walk has its rows: tests/citizen_sensing/test_api.py): a 404.
        case = operation.Case(path_parameters={n: real.get(n, "none") for n in names})
        case.validate_response(case.call(headers=HOST), checks=CHECKS)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def walk(case):
            response = case.call(headers=HOST)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            case.validate_response(response, checks=CHECKS)

        walk()
