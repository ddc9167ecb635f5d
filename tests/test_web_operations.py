"""Every operation of the web client is valid against the API's schema (no Node needed): an API
change that would break the client fails here, before anyone builds it."""

import re
from pathlib import Path

from graphql import parse, validate

from graph.schema import schema

OPERATIONS = Path(__file__).resolve().parents[1] / "web" / "src" / "operations.ts"


def test_the_web_clients_operations_are_valid_against_the_schema():
    documents = re.findall(r"graphql\(`(.*?)`\)", OPERATIONS.read_text(), flags=re.S)
    assert len(documents) > 20
    errors = validate(schema._schema, parse("\n".join(documents)))
    assert errors == [], [e.message for e in errors]
