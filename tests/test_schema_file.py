"""The checked-in `schema.graphql` is the contract frontends read: it must match the code."""

from pathlib import Path

from graph.schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_current():
    checked_in = (ROOT / "schema.graphql").read_text()
    assert checked_in.strip() == schema.as_str().strip(), (
        "schema.graphql is stale: run `python -m strawberry export-schema graph.schema:schema --output schema.graphql`"
    )


def test_contract_names_from_api_md_exist():
    sdl = schema.as_str()
    for name in ("type User", "type Company", "enum CompanyRelationship", "type CompanyEdge", "type UserError",
                 "enum ErrorCode", "signUp(", "signIn(", "signOut", "createCompany(", "setProvidesAccountingServices(",
                 "registryLookup(", "companies(relationship"):
        assert name in sdl, name
