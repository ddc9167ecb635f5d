"""The root schema, composed from each capability's Query, Mutation and Subscription classes."""

from __future__ import annotations

import strawberry
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from graph.resolvers import accounts, companies, efactura, invitations, notifications, portfolio
from graph.lookup_limit import RegistryLookupLimit
from graph.schema.errors import ApiErrors

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

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: AddValidationRules([RegistryLookupLimit]),
        ApiErrors,
    ],
)
