"""At most a few registry look-ups per GraphQL request, checked before anything runs.

Aliases let one request ask `registryLookup` dozens of times; each may reach ANAF, whose registry
allows one request a second for the whole application. Such a document is refused whole, with
`extensions.code` TOO_MANY_ITEMS, before any resolver runs. (Each alias needs its own field node
in the document, and the field exists only on Query, so counting the nodes counts the look-ups.)
"""

from __future__ import annotations

from graphql import GraphQLError
from graphql.language import FieldNode
from graphql.validation import ValidationRule

MAX_REGISTRY_LOOKUPS = 3
FIELD = "registryLookup"


class RegistryLookupLimit(ValidationRule):
    def __init__(self, context) -> None:
        super().__init__(context)
        self.count = 0

    def enter_field(self, node: FieldNode, *_args) -> None:
        if node.name.value == FIELD:
            self.count += 1
            if self.count == MAX_REGISTRY_LOOKUPS + 1:
                self.report_error(GraphQLError(
                    f"Look up at most {MAX_REGISTRY_LOOKUPS} companies in one request (registryLookup); "
                    f"send the others in later requests. / Căutați cel mult {MAX_REGISTRY_LOOKUPS} companii "
                    "într-o cerere; trimiteți-le pe celelalte în cereri ulterioare.",
                    nodes=[node], extensions={"code": "TOO_MANY_ITEMS"}))
