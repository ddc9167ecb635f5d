"""The root schema, composed from each capability's Query, Mutation and Subscription classes."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.tools import merge_types

from graph.execution import CompilingExecutionContext
from graph.lookup_limit import RegistryLookupLimit
from graph.resolvers import accounts, companies, efactura, invitations, notifications, portfolio
from graph.schema.errors import ApiErrors

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

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    execution_context_class=CompilingExecutionContext,
    extensions=[
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        ApiErrors,
    ],
)
