"""Compiled completion of plain objects: the GraphQL executor, minus its per-field overhead where a
selection only reads attributes.

Resolvers (every root field, every field with a resolver or arguments) run exactly as before, with
their authorization checks and their fresh reads. What changes is the completion of the objects
they return: a page of 50 portfolio entries is some 400 fields that only read an attribute of a
Strawberry type and serialize a scalar, and graphql-core spends far more on building a resolve info
and wrapping each of them than on the value. For a selection made only of such fields (no
resolver, no arguments, no directives, no field extensions, object types without `is_type_of`, no
resolver middleware), the executor compiles, once per document and type, a plan that reads the
attributes and serializes them with the schema's own scalars and enums, and runs that plan instead.

Anything a plan does not expect (a null in a non-null field, a value a scalar cannot serialize)
makes it give up on that object, which is then completed by graphql-core as before: the answer,
errors and their paths included, is the same as without plans.

Subscription events go the same way, one level up: an event's root field only hands the event on
(Strawberry resolves a subscription field to the event itself), so when the root field's selection
compiles, each event is answered by its plan instead of a whole execution of the operation. A burst
of thousands of events, one per subscriber, pays for the serialising and little else.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from graphql import (
    ExecutionResult,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_fields
from graphql.language import DirectiveNode, OperationType, Visitor, visit
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

PLAN_CACHE_SIZE = 4096


class GiveUp(Exception):
    """The plan met a value it does not handle; graphql-core completes the object instead."""


Plan = Callable[[Any], dict]
_NO_PLAN = object()
# (object type, ids of the field nodes) -> (the nodes, kept alive so that their ids stay theirs; plan)
_plans: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()
# id(operation) -> (operation, whether it or a fragment carries a directive)
_directives: OrderedDict[int, tuple[Any, bool]] = OrderedDict()
# id(subscription operation) -> (operation, its events' plan or _NO_PLAN)
_event_plans: OrderedDict[int, tuple[Any, Any]] = OrderedDict()


class _FindDirective(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        self.found = True
        return self.BREAK


def _has_directives(nodes: list) -> bool:
    for node in nodes:
        finder = _FindDirective()
        visit(node, finder)
        if finder.found:
            return True
    return False


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > PLAN_CACHE_SIZE:
        cache.popitem(last=False)


def _leaf(graphql_type) -> Callable[[Any], Any]:
    coerce = graphql_type.coerce_output_value

    def serialize(value: Any) -> Any:
        out = coerce(value)
        if out is None:
            raise GiveUp
        return out

    return serialize


class CompilingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain objects with compiled plans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._compiling = not (manager is not None and manager.middlewares) and not self._operation_has_directives()

    def _operation_has_directives(self) -> bool:
        key = id(self.operation)
        known = _directives.get(key)
        if known is not None and known[0] is self.operation:
            return known[1]
        found = _has_directives([self.operation, *self.fragment_definitions.values()])
        _remember(_directives, key, (self.operation, found))
        return found

    def build_per_event_executor(self, payload: Any):
        # A subscription event whose root field's selection compiles is answered by its plan, without
        # the copy of this executor that graphql-core makes for each event.
        plan = self._event_plan() if self._compiling else None
        if plan is None:
            return super().build_per_event_executor(payload)
        return _PlannedEvent(self, plan, payload)

    def _event_plan(self) -> Plan | None:
        if self.operation.operation is not OperationType.SUBSCRIPTION:
            return None
        key = id(self.operation)
        known = _event_plans.get(key)
        if known is not None and known[0] is self.operation:
            return None if known[1] is _NO_PLAN else known[1]
        plan = self._compile_event()
        _remember(_event_plans, key, (self.operation, _NO_PLAN if plan is None else plan))
        return plan

    def _compile_event(self) -> Plan | None:
        """The plan of one event: the root field's value is the event (the subscription field's resolver
        in Strawberry returns it as it is), completed like any other object."""
        root_type = self.schema.subscription_type
        if root_type is None or root_type.is_type_of is not None:
            return None
        try:
            grouped, defer_usages, *_ = collect_fields(self.schema, self.fragments, self.variable_values, root_type,
                                                       self.operation, self.hide_suggestions)
        except RecursionError:
            return None
        if defer_usages or len(grouped) != 1:
            return None
        [(response_key, field_details_list)] = grouped.items()
        field_def = root_type.fields.get(field_details_list[0].node.name.value)
        if field_def is None or field_def.subscribe is None:
            return None
        definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or not definition.is_subscription or definition.extensions or definition.permission_classes:
            return None
        complete = self._compile_value(field_def.type, field_details_list)
        if complete is None:
            return None

        def event(source: Any) -> dict:
            return {response_key: complete(source)}

        return event

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):
        if self._compiling:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return plan(result)
                except GiveUp:
                    pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _plan(self, object_type: GraphQLObjectType, field_details_list) -> Plan | None:
        nodes = tuple(details.node for details in field_details_list)
        key = (object_type, tuple(map(id, nodes)))
        known = _plans.get(key)
        if known is not None and all(a is b for a, b in zip(known[0], nodes)):
            return None if known[1] is _NO_PLAN else known[1]
        plan = self._compile(object_type, field_details_list)
        _remember(_plans, key, (nodes, _NO_PLAN if plan is None else plan))
        return plan

    def _compile(self, object_type: GraphQLObjectType, field_details_list) -> Plan | None:
        if object_type.is_type_of is not None:
            return None
        grouped, defer_usages, *_ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        steps: list[tuple[str, Callable[[Any], Any]]] = []
        for response_key, sub_details in grouped.items():
            step = self._compile_field(object_type, sub_details)
            if step is None:
                return None
            steps.append((response_key, step))
        return _object_plan(steps)

    def _compile_field(self, object_type: GraphQLObjectType, field_details_list) -> Callable[[Any], Any] | None:
        node = field_details_list[0].node
        name = node.name.value
        if name == "__typename":
            type_name = object_type.name
            return lambda _source: type_name
        if node.arguments:
            return None
        field_def = object_type.fields.get(name)
        if field_def is None or field_def.args:
            return None
        definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or not definition.is_basic_field:
            return None
        attribute, resolve = definition.python_name, definition.default_resolver  # what Strawberry would call
        complete = self._compile_value(field_def.type, field_details_list)
        if complete is None:
            return None

        def read(source: Any) -> Any:
            return complete(resolve(source, attribute))

        return read

    def _compile_value(self, graphql_type, field_details_list) -> Callable[[Any], Any] | None:
        """A function completing a value of this type, or None when it cannot be compiled."""
        if is_non_null_type(graphql_type):
            inner = self._compile_value(graphql_type.of_type, field_details_list)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                if value is None:
                    raise GiveUp  # graphql-core reports the error, with its path
                return inner(value)

            return non_null
        if is_list_type(graphql_type):
            item = self._compile_value(graphql_type.of_type, field_details_list)
            if item is None or isinstance(graphql_type.of_type, GraphQLList) or (
                    isinstance(graphql_type.of_type, GraphQLNonNull) and is_list_type(graphql_type.of_type.of_type)):
                return None

            def many(value: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, (str, bytes, dict)):
                    raise GiveUp
                return [item(v) for v in value]

            return many
        if is_leaf_type(graphql_type):
            serialize = _leaf(graphql_type)
            return lambda value: None if value is None else serialize(value)
        if is_object_type(graphql_type):
            plan = self._plan(graphql_type, field_details_list)
            if plan is None:
                return None
            return lambda value: None if value is None else plan(value)
        return None  # interfaces and unions: their runtime type is resolved by graphql-core


class _PlannedEvent:
    """One subscription event, as graphql-core's per-event executor would run it (`execute_operation`):
    answered by the plan; anything the plan gives up on goes to graphql-core's own executor."""

    __slots__ = ("executor", "payload", "plan")

    def __init__(self, executor: CompilingExecutionContext, plan: Plan, payload: Any) -> None:
        self.executor, self.plan, self.payload = executor, plan, payload

    def execute_operation(self, serially: bool | None = None):
        abort_signal = self.executor.abort_signal
        if not (abort_signal is not None and abort_signal.aborted):
            try:
                return ExecutionResult(self.plan(self.payload), None)
            except GiveUp:
                pass
        return super(CompilingExecutionContext, self.executor).build_per_event_executor(self.payload).execute_operation(serially)


def _object_plan(steps: list[tuple[str, Callable[[Any], Any]]]) -> Plan:
    def complete(source: Any) -> dict:
        return {key: step(source) for key, step in steps}

    return complete
