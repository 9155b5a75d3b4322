"""Schemathesis over every operation of the app's OpenAPI document, in process (ASGI): valid and
invalid requests (positive and negative modes), and no answer may be a 5xx or differ from the schema
the document gives for its status. Deterministic (derandomized, a bounded number of examples): the
same cases on every run, so a failure here is a defect to fix in the app, never a flake."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlmodel import Session

from app.main import create_app
from app.runtime.accounts import add_agent
from tests.support.ledger import add_addresses
from tests.support.web import OURS

MAX_EXAMPLES = 20
SNAPSHOT = Path(__file__).parent / "openapi_snapshot.json"
OPERATIONS = sorted(
    (method.upper(), path) for path, methods in json.loads(SNAPSHOT.read_text())["paths"].items() for method in methods
)


@pytest.fixture
def fuzzed(settings, sqlite_engine, chain):
    app = create_app(
        settings.model_copy(update={"docs_enabled": True, "status_rate_limit_per_ip": 100_000}), engine=sqlite_engine
    )
    with Session(sqlite_engine) as session:
        _agent, token = add_agent(session, "fuzz")
        add_addresses(session, (OURS, "p-1842"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema, {"Authorization": f"Bearer {token}"}


def test_every_operation_of_the_document_is_fuzzed(fuzzed):
    schema, _headers = fuzzed
    live = sorted((op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations())
    assert live == OPERATIONS


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_input_gives_a_server_error_or_an_answer_off_the_schema(fuzzed, method, path, mode):
    schema, headers = fuzzed
    operation = schema[path][method]

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Negative cases need something the document constrains: an operation without parameters
        # or body (`/healthz`), or with only free-form text, has no invalid request to send.
        assert mode is GenerationMode.NEGATIVE and not _constrained(operation.definition.raw), path


def _constrained(definition: dict) -> bool:
    """Whether an operation has a body or a parameter that is more than free-form text."""
    if "requestBody" in definition:
        return True
    for parameter in definition.get("parameters", []):
        schema = parameter.get("schema", {})
        if set(schema) - {"type", "title", "description"} or schema.get("type") != "string":
            return True
    return False


def test_stateful_sequences_following_the_links_schemathesis_infers(fuzzed):
    """Sequences of calls, each using what an earlier answer gave (an investigation's or a search's
    id, found by Schemathesis' link inference): still no 5xx and no answer off its schema."""
    schema, headers = fuzzed
    machine = schema.as_state_machine()
    steps = []

    class Sequences(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            steps.append(f"{case.method} {case.operation.path}")
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=15,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(set(steps)) > 1  # sequences of several operations ran, not nothing
