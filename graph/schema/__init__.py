"""The root schema, composed from each capability's Query, Mutation and Subscription classes."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxTokensLimiter
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graph.documents import DocumentCache, ValidatedDocumentCache
from graph.execution import CompilingExecutionContext
from graph.lookup_limit import RegistryLookupLimit
from graph.resolvers import accounts, companies, efactura, invitations, notifications, portfolio
from graph.schema.errors import ApiErrors, PortofoliuSchema
from graph.schema.inputs import input_limit_extensions

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
# Parsed and validated documents kept per process (an app sends a few dozen distinct operations).
DOCUMENT_CACHE_SIZE = 512
# The limits' validation rules, made once (QueryDepthLimiter and MaxAliasesLimiter would make new rule
# classes per request, and ValidationCache keys its entries by the rules): depth, aliases, and at
# most a few registry look-ups per request.
LIMIT_RULES = [max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES), RegistryLookupLimit]

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
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: DocumentCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidatedDocumentCache(maxsize=DOCUMENT_CACHE_SIZE),
        *input_limit_extensions(),
        lambda: ApiErrors(suggestions=suggestions),
    ]
    if not introspection:
        extensions.insert(0, DisableIntrospection)
    return PortofoliuSchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
                            execution_context_class=CompilingExecutionContext,
                            config=StrawberryConfig(disable_field_suggestions=not suggestions))


schema = build_schema()
