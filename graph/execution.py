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
from dataclasses import dataclass
from keyword import iskeyword
from typing import Any, Callable

from graphql import (
    ExecutionResult,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_fields
from graphql.language import DirectiveNode, OperationType, Visitor, visit
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
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


# Values these serializers return unchanged, by exact class: a plan passes them through without the call.
_UNCHANGED = {serialize_string: str, serialize_id: str, serialize_boolean: bool}


def _unchanged_class(graphql_type) -> type | None:
    """The class whose values the leaf type serializes as they are, if any."""
    try:
        return _UNCHANGED.get(graphql_type.coerce_output_value)
    except TypeError:  # an unhashable serializer
        return None


def _leaf(graphql_type) -> Callable[[Any], Any]:
    """The leaf type's serializer; a value it refuses (None, or an error) makes the plan give up, so
    that graphql-core reports the error at its path."""
    coerce = graphql_type.coerce_output_value

    def serialize(value: Any) -> Any:
        try:
            out = coerce(value)
        except Exception:  # noqa: BLE001 - graphql-core raises it again, where it belongs
            raise GiveUp from None
        if out is None:
            raise GiveUp
        return out

    members = getattr(graphql_type, "wrapped_cls", None) if is_enum_type(graphql_type) else None  # a Strawberry enum's Python enum
    if members is None:
        return serialize
    names: dict[Any, Any] = {}  # member -> name, as Strawberry's enum serializes it (by scanning)

    def serialize_member(value: Any) -> Any:
        if value.__class__ is not members:
            return serialize(value)
        out = names.get(value)
        if out is None:
            out = names[value] = serialize(value)
        return out

    return serialize_member


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

    def complete_value(self, return_type, field_details_list, info, path, result, position_context):
        # A list a resolver returned (the companies list) is completed by one plan, rather than
        # graphql-core completing each item before handing it to its plan.
        if self._compiling and is_list_type(return_type.of_type if is_non_null_type(return_type) else return_type):
            done = _run(self._list_plan(return_type, field_details_list), result)
            if done is not _FAILED:
                return done
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

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
            done = _run(self._plan(return_type, field_details_list), result)
            if done is not _FAILED:
                return done
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _list_plan(self, list_type, field_details_list) -> Callable[[Any], Any] | None:
        return self._cached(list_type, field_details_list, self._compile_value)

    def _plan(self, object_type: GraphQLObjectType, field_details_list) -> Plan | None:
        return self._cached(object_type, field_details_list, self._compile)

    def _cached(self, graphql_type, field_details_list, compile_: Callable[[Any, Any], Any]) -> Any:
        """What `compile_` makes of this type and these field nodes, made once per document."""
        nodes = tuple(details.node for details in field_details_list)
        key = (graphql_type, tuple(map(id, nodes)))
        known = _plans.get(key)
        if known is not None and all(a is b for a, b in zip(known[0], nodes)):
            return None if known[1] is _NO_PLAN else known[1]
        made = compile_(graphql_type, field_details_list)
        _remember(_plans, key, (nodes, _NO_PLAN if made is None else made))
        return made

    def _compile(self, object_type: GraphQLObjectType, field_details_list) -> Plan | None:
        if object_type.is_type_of is not None:
            return None
        grouped, defer_usages, *_ = self.collect_subfields(object_type, field_details_list)
        if defer_usages:
            return None
        fields: list[_Field] = []
        for response_key, sub_details in grouped.items():
            field = self._compile_field(object_type, response_key, sub_details)
            if field is None:
                return None
            fields.append(field)
        return _object_plan(fields)

    def _compile_field(self, object_type: GraphQLObjectType, response_key: str, field_details_list) -> _Field | None:
        node = field_details_list[0].node
        name = node.name.value
        if name == "__typename":
            return _Field(response_key, constant=object_type.name)
        if node.arguments:
            return None
        field_def = object_type.fields.get(name)
        if field_def is None or field_def.args:
            return None
        definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or not definition.is_basic_field:
            return None
        complete = self._compile_value(field_def.type, field_details_list)
        if complete is None:
            return None
        leaf = field_def.type.of_type if is_non_null_type(field_def.type) else field_def.type
        # What Strawberry would call to read the value, and the class most values come as, passed
        # through without completing them (a string or boolean field).
        return _Field(response_key, attribute=definition.python_name, resolve=definition.default_resolver, complete=complete,
                      unchanged=_unchanged_class(leaf) if is_leaf_type(leaf) else None)

    def _compile_value(self, graphql_type, field_details_list) -> Callable[[Any], Any] | None:
        """A function completing a value of this type, or None when it cannot be compiled."""
        if is_non_null_type(graphql_type) and is_leaf_type(graphql_type.of_type):
            serialize = _leaf(graphql_type.of_type)

            def non_null_leaf(value: Any) -> Any:
                if value is None:
                    raise GiveUp  # graphql-core reports the error, with its path
                return serialize(value)

            return non_null_leaf
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


_FAILED = object()


def _run(plan: Callable[[Any], Any] | None, value: Any) -> Any:
    """What the plan makes of the value; _FAILED without a plan or when it meets anything it does not
    expect (graphql-core then completes the value instead, and reports what it finds)."""
    if plan is None:
        return _FAILED
    try:
        return plan(value)
    except Exception:  # noqa: BLE001 - see above
        return _FAILED


class _PlannedEvent:
    """One subscription event, as graphql-core's per-event executor would run it (`execute_operation`):
    answered by the plan; anything the plan gives up on goes to graphql-core's own executor."""

    __slots__ = ("executor", "payload", "plan")

    def __init__(self, executor: CompilingExecutionContext, plan: Plan, payload: Any) -> None:
        self.executor, self.plan, self.payload = executor, plan, payload

    def execute_operation(self, serially: bool | None = None):
        abort_signal = self.executor.abort_signal
        if not (abort_signal is not None and abort_signal.aborted):
            done = _run(self.plan, self.payload)
            if done is not _FAILED:
                return ExecutionResult(done, None)
        return super(CompilingExecutionContext, self.executor).build_per_event_executor(self.payload).execute_operation(serially)


@dataclass(frozen=True)
class _Field:
    """One field of an object plan: the constant `__typename`, or an attribute read and completed."""

    key: str
    constant: Any = None
    attribute: str | None = None
    resolve: Callable[[Any, str], Any] | None = None
    complete: Callable[[Any], Any] | None = None
    unchanged: type | None = None


def _object_plan(fields: list[_Field]) -> Plan:
    """A function reading and completing the fields of an object in one frame (its source written
    here, as dataclasses write their `__init__`): no call per field for the attributes that only
    need reading."""
    env: dict[str, Any] = {}
    lines = ["def complete(source):"]
    for i, field in enumerate(fields):
        if field.attribute is None:
            env[f"k{i}"] = field.constant
            lines.append(f"    r{i} = k{i}")
            continue
        if field.resolve is getattr and field.attribute.isidentifier() and not iskeyword(field.attribute):
            read = f"source.{field.attribute}"
        else:
            env[f"g{i}"], env[f"a{i}"] = field.resolve, field.attribute
            read = f"g{i}(source, a{i})"
        env[f"c{i}"] = field.complete
        if field.unchanged is not None:
            env[f"u{i}"] = field.unchanged
            lines += [f"    r{i} = {read}", f"    if r{i}.__class__ is not u{i}:", f"        r{i} = c{i}(r{i})"]
        else:
            lines.append(f"    r{i} = c{i}({read})")
    lines.append("    return {" + ", ".join(f"{field.key!r}: r{i}" for i, field in enumerate(fields)) + "}")
    exec("\n".join(lines), env)  # noqa: S102 - names and keys are GraphQL names, values passed in `env`
    return env["complete"]
