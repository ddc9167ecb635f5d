"""The root schema, composed from each capability's Query, Mutation and Subscription classes."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graph.lookup_limit import RegistryLookupLimit
from graph.resolvers import accounts, companies, efactura, invitations, notifications, portfolio
from graph.schema.errors import ApiErrors, PortofoliuSchema
from graph.schema.inputs import input_limit_extensions

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30

QUERIES = (accounts.Query, companies.Query, efactura.Query, invitations.Query, notifications.Query, portfolio.Query)
MUTATIONS = (accounts.Mutation, companies.Mutation, efactura.Mutation, invitations.Mutation, notifications.Mutation,
             portfolio.Mutation)
SUBSCRIPTIONS: tuple[type, ...] = (notifications.Subscription, portfolio.Subscription, invitations.Subscription)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS) if SUBSCRIPTIONS else None


def build_schema(*, introspection: bool = True, suggestions: bool = True) -> strawberry.Schema:
    """The API's schema. Production builds it without introspection (unless allowed) and without the
    "Did you mean ...?" hints that would let a stranger map the API by guessing."""
    extensions = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: AddValidationRules([RegistryLookupLimit]),
        *input_limit_extensions(),
        lambda: ApiErrors(suggestions=suggestions),
    ]
    if not introspection:
        extensions.insert(0, DisableIntrospection)
    return PortofoliuSchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
                            config=StrawberryConfig(disable_field_suggestions=not suggestions))


schema = build_schema()
