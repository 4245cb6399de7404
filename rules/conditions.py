"""Conditions compiled into plain predicates, once per rule.

A predicate sees the latest values, the device and `*` match it is evaluated for, and the
event that caused the evaluation (with the value it replaced), so that `event:` and
`changed_to:` tests are true only for that event. A value never heard is unknown, and a
test on an unknown value is false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.events import AVAILABILITY, Event, PointValue
from rules.config import AllOf, AnyOf, Condition, NotOf, PointTest

MISSING: Any = object()
"""The value of a point never heard."""

Values = dict[tuple[str, str], PointValue]


@dataclass(frozen=True, slots=True)
class Cause:
    """What is being evaluated: for which device and `*` match, and because of which event
    (None: a timer or a calendar window)."""

    device_id: str
    match: str
    event: Event | None
    previous: PointValue = MISSING


Predicate = Callable[[Values, Cause], bool]


def compile_condition(condition: Condition) -> Predicate:
    if isinstance(condition, PointTest):
        return _compile_test(condition)
    if isinstance(condition, NotOf):
        inner = compile_condition(condition.not_)
        return lambda values, cause: not inner(values, cause)
    parts = tuple(compile_condition(part) for part in (
        condition.all if isinstance(condition, AllOf) else condition.any))
    if isinstance(condition, AllOf):
        return lambda values, cause: all(part(values, cause) for part in parts)
    assert isinstance(condition, AnyOf)
    return lambda values, cause: any(part(values, cause) for part in parts)


def subject(test: PointTest) -> str:
    """The point a test reads (`availability` for availability tests)."""
    return test.point or test.event or AVAILABILITY


def _compile_test(test: PointTest) -> Predicate:
    point = subject(test)
    globbed = "*" in point
    other = test.device
    check = _value_check(test)
    if test.event is not None:
        def on_event(values: Values, cause: Cause) -> bool:
            event = cause.event
            return (event is not None and event.point == _bind(point, globbed, cause.match)
                    and event.device_id == (other or cause.device_id) and check(event.value))
        return on_event
    edges = test.comparators()
    if "changed_to" in edges or "changed_from" in edges:
        return _edge_test(point, globbed, other, edges)

    def on_state(values: Values, cause: Cause) -> bool:
        value = values.get((other or cause.device_id, _bind(point, globbed, cause.match)),
                           MISSING)
        return value is not MISSING and check(value)
    return on_state


def _edge_test(point: str, globbed: bool, other: str | None,
               edges: dict[str, Any]) -> Predicate:
    def changed(values: Values, cause: Cause) -> bool:
        event = cause.event
        if (event is None or event.device_id != (other or cause.device_id)
                or event.point != _bind(point, globbed, cause.match)
                or cause.previous is MISSING or cause.previous == event.value):
            return False
        if "changed_to" in edges and not _same(event.value, edges["changed_to"]):
            return False
        return "changed_from" not in edges or _same(cause.previous, edges["changed_from"])
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

