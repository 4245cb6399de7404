"""Conditions compiled into plain predicates, once per rule.

A predicate sees the latest values, the device and `*` match it is evaluated for, and the
event that caused the evaluation with the value it replaced (`MISSING` when none), so
that `event:` and `changed_to:` tests are true only for that event. A value never heard is
unknown, and a test on an unknown value is false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from gateway.core.events import AVAILABILITY, Event, PointValue
from rules.config import AllOf, AnyOf, Condition, NotOf, PointTest

MISSING: Any = object()
"""The value of a point never heard."""

Values = dict[tuple[str, str], PointValue]


Predicate = Callable[[Values, str, str, Event, PointValue], bool]
"""(values, device id, `*` match, the event being evaluated, the value it replaced)."""


def compile_condition(condition: Condition) -> Predicate:
    if isinstance(condition, PointTest):
        return _compile_test(condition)
    if isinstance(condition, NotOf):
        inner = compile_condition(condition.not_)
        return lambda values, device, match, event, previous: not inner(
            values, device, match, event, previous)
    parts = tuple(compile_condition(part) for part in (
        condition.all if isinstance(condition, AllOf) else condition.any))
    if isinstance(condition, AllOf):
        return lambda values, device, match, event, previous: all(
            part(values, device, match, event, previous) for part in parts)
    assert isinstance(condition, AnyOf)
    return lambda values, device, match, event, previous: any(
        part(values, device, match, event, previous) for part in parts)


def subject(test: PointTest) -> str:
    """The point a test reads (`availability` for availability tests)."""
    return test.point or test.event or AVAILABILITY


def _compile_test(test: PointTest) -> Predicate:
    point = subject(test)
    globbed = "*" in point
    other = test.device
    check = _value_check(test)
    if test.event is not None:
        def on_event(values: Values, device: str, match: str, event: Event,
                     previous: PointValue) -> bool:
            return (event.point == _bind(point, globbed, match)
                    and event.device_id == (other or device) and check(event.value))
        return on_event
    edges = test.comparators()
    if "changed_to" in edges or "changed_from" in edges:
        return _edge_test(point, globbed, other, edges)

    def on_state(values: Values, device: str, match: str, event: Event,
                 previous: PointValue) -> bool:
        value = values.get((other or device, _bind(point, globbed, match)), MISSING)
        return value is not MISSING and check(value)
    return on_state


def _edge_test(point: str, globbed: bool, other: str | None,
               edges: dict[str, Any]) -> Predicate:
    def changed(values: Values, device: str, match: str, event: Event,
                previous: PointValue) -> bool:
        if (event.device_id != (other or device) or event.point != _bind(point, globbed, match)
                or previous is MISSING or previous == event.value):
            return False
        if "changed_to" in edges and not _same(event.value, edges["changed_to"]):
            return False
        return "changed_from" not in edges or _same(previous, edges["changed_from"])
    return changed


def _bind(point: str, globbed: bool, match: str) -> str:
    return point.replace("*", match, 1) if globbed else point


_ORDERINGS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def _value_check(test: PointTest) -> Callable[[PointValue], bool]:
    """The comparators of a test as one check on a value."""
    if test.availability is not None:
        wanted = test.availability
        return lambda value: value == wanted
    given = {name: value for name, value in test.comparators().items()
             if name not in ("changed_to", "changed_from")}
    if not given and test.point is not None:
        given = {"equals": True}
    checks = [_check(name, expected) for name, expected in given.items()]
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _check(name: str, expected: Any) -> Callable[[PointValue], bool]:
    if name == "equals":
        return lambda value: _same(value, expected)
    if name == "not_equals":
        return lambda value: not _same(value, expected)
    if name in ("in_", "not_in"):
        members = frozenset((type(member), member) for member in expected)
        wanted = name == "in_"
        return lambda value: ((type(value), value) in members) == wanted
    compare = _ORDERINGS[name]
    bound = float(expected)
    return lambda value: (isinstance(value, int | float) and not isinstance(value, bool)
                          and bool(compare(value, bound)))


def _same(value: PointValue, expected: PointValue) -> bool:
    """Equal and of the same kind: `true` never equals `1`."""
    return value == expected and (type(value) is bool) == (type(expected) is bool)

