"""Rules as written in config: which devices, what condition, for how long, what alert.

```yaml
- id: gate-open-night
  select: {type: gate_sensor, tags: [gate]}
  when: {point: open, equals: true}
  for: 5m
  during: night
  severity: high
  category: perimeter
  title: "{device} open at night"
```
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from gateway.core.alerts import Category, Severity
from gateway.core.config import StrictModel
from gateway.core.durations import Duration
from gateway.core.events import PointValue
from rules.calendar_config import WindowExpr

PLACEHOLDERS = ("device", "device_id", "zone", "zone_id", "location", "point", "value",
                "match", "rule")
"""What title, message and group templates may name."""

COMPARATORS = ("equals", "not_equals", "in_", "not_in", "gt", "ge", "lt", "le",
               "changed_to", "changed_from")
EDGE_COMPARATORS = ("changed_to", "changed_from")


class PointTest(StrictModel):
    """One test on one point: `{point: open, equals: true}`.

    `point` tests the latest value (a state); `event` is true only for the event that
    carries it (a plate read, a button press). `device` names another device than the
    rule's own (e.g. the charging circuit beside a smoke detector). Without a comparator,
    a point must equal `true` and an event may carry any value.
    """

    device: str | None = Field(default=None,
                               description="Another device's point (default: the rule's device).")
    point: str | None = Field(default=None,
                              description="State point; `*` matches any run of characters.")
    event: str | None = Field(default=None,
                              description="Momentary point: true only for the event itself.")
    availability: Literal["online", "offline", "fault", "unknown"] | None = Field(
        default=None, description="The device's availability is this.")
    equals: PointValue = Field(default=None, description="Value equals this.")
    not_equals: PointValue = Field(default=None, description="Value differs from this.")
    in_: tuple[PointValue, ...] = Field(default=(), alias="in",
                                        description="Value is one of these.")
    not_in: tuple[PointValue, ...] = Field(default=(), description="Value is none of these.")
    gt: float | None = Field(default=None, description="Value is greater than this.")
    ge: float | None = Field(default=None, description="Value is at least this.")
    lt: float | None = Field(default=None, description="Value is less than this.")
    le: float | None = Field(default=None, description="Value is at most this.")
    changed_to: PointValue = Field(default=None,
                                   description="Momentary: the value just changed to this.")
    changed_from: PointValue = Field(default=None,
                                     description="Momentary: the value just changed from this.")

    @model_validator(mode="after")
    def _one_subject(self) -> PointTest:
        subjects = [s for s in (self.point, self.event, self.availability) if s is not None]
        if len(subjects) != 1:
            raise ValueError("name exactly one of point, event or availability")
        if self.availability is not None and self.comparators():
            raise ValueError("availability takes no comparator")
        if self.event is not None and set(self.comparators()) & set(EDGE_COMPARATORS):
            raise ValueError("an event has no previous value: use equals/in, not changed_*")
        return self

    def comparators(self) -> dict[str, Any]:
        """The comparators given (an explicit `equals: null` counts)."""
        return {name: getattr(self, name) for name in COMPARATORS
                if name in self.model_fields_set}

    @property
    def momentary(self) -> bool:
        return self.event is not None or any(c in self.comparators() for c in EDGE_COMPARATORS)


class AllOf(StrictModel):
    all: tuple[Condition, ...] = Field(min_length=1, description="Every one holds.")


class AnyOf(StrictModel):
    any: tuple[Condition, ...] = Field(min_length=1, description="At least one holds.")


class NotOf(StrictModel):
    not_: Condition = Field(alias="not", description="This does not hold.")


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        return next((key for key in ("all", "any", "not") if key in value), "test")
    kinds: dict[type, str] = {AllOf: "all", AnyOf: "any", NotOf: "not"}
    return kinds.get(type(value), "test")


Condition = Annotated[
    Annotated[PointTest, Tag("test")] | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")] | Annotated[NotOf, Tag("not")],
    Discriminator(_condition_kind),
]
"""A point test, or `all`/`any`/`not` of conditions."""


def point_tests(condition: Condition) -> list[PointTest]:
    """Every test inside a condition, in order."""
    if isinstance(condition, PointTest):
        return [condition]
    if isinstance(condition, NotOf):
        return point_tests(condition.not_)
    parts = condition.all if isinstance(condition, AllOf) else condition.any
    return [test for part in parts for test in point_tests(part)]


class Selector(StrictModel):
    """Which devices a rule watches: each given criterion must hold (any of its values)."""

    devices: tuple[str, ...] = Field(default=(), description="These device ids.")
    type: tuple[str, ...] = Field(default=(), description="Devices of these types.")
    zones: tuple[str, ...] = Field(default=(), description="Devices in these zones.")
    zone_tags: tuple[str, ...] = Field(default=(), description="Devices in zones with these tags.")
    tags: tuple[str, ...] = Field(default=(), description="Devices with these tags.")

    @field_validator("type", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    def matches(self, device_id: str, device_type: str, zone: str, zone_tags: tuple[str, ...],
                tags: tuple[str, ...]) -> bool:
        return ((not self.devices or device_id in self.devices)
                and (not self.type or device_type in self.type)
                and (not self.zones or zone in self.zones)
                and (not self.zone_tags or bool(set(self.zone_tags) & set(zone_tags)))
                and (not self.tags or bool(set(self.tags) & set(tags))))


class EscalationConfig(StrictModel):
    """What happens when the alert is still unacknowledged `after` its raise."""

    after: Duration = Field(description="Time since the raise, e.g. `2m`.")
    severity: Severity | None = Field(default=None, description="Raise severity to this.")
    channels: tuple[str, ...] = Field(default=(), description="Also forward to these channels.")
    renotify: bool = Field(default=True, description="Send the alert again to its channels.")
    note: str = Field(default="", description="Shown in the alert's history.")


LATCHING_CATEGORIES = (Category.PANIC, Category.FIRE)


class RuleConfig(StrictModel):
    """Devices, a condition on their points, and the alert it raises."""

    id: str = Field(description="Rule id.", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = Field(default="", description="What the rule is for.")
    select: Selector = Field(description="Devices the rule watches; one alert per device.")
    when: Condition = Field(description="Condition on the device's points.")
    for_: Duration | None = Field(default=None, alias="for",
                                  description="Raise only when `when` held this long.")
    count: int | None = Field(default=None, ge=2,
                              description="Raise when `when` happened this many times...")
    within: Duration | None = Field(default=None, description="...within this long.")
    distinct: Literal["device"] | None = Field(
        default=None, description="Count only different devices (with `group`).")
    during: WindowExpr | None = Field(default=None,
                                      description="Raise only in this calendar window.")
    severity: Severity = Field(description="Alert severity.")
    category: Category = Field(description="Alert category.")
    title: str = Field(description="Title template (placeholders: " + ", ".join(
        "{" + p + "}" for p in PLACEHOLDERS) + ").")
    title_en: str = Field(default="", description="The title in English (same placeholders).")
    message: str = Field(default="", description="Message template, same placeholders.")
    sop: str = Field(default="", description="The procedure to follow: the id of one of "
                                             "`sops:`, or its first step as text.")
    channels: tuple[str, ...] = Field(default=(), description="Channels that receive it.")
    snapshot: Literal["zone", "none"] | tuple[str, ...] = Field(
        default="zone", description="Cameras whose frames are kept as evidence: `zone` (the "
                                    "analysed cameras in the alert's zone), `none`, or ids.")
    group: str | None = Field(default=None,
                              description="Incident key template: alerts with the same "
                                          "key are one incident (e.g. `{zone_id}`).")
    escalate: tuple[EscalationConfig, ...] = Field(default=(),
                                                   description="Escalation steps.")
    latching: bool | None = Field(default=None,
                                  description="Only a person clears it (default: panic, fire).")

    @field_validator("title", "title_en", "message", "group")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(**{name: "" for name in PLACEHOLDERS})
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"bad placeholder {exc} (use "
                                 + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ")"
                                 ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleConfig:
        if (self.count is None) != (self.within is None):
            raise ValueError("count and within go together")
        if self.momentary and self.for_ is not None:
            raise ValueError("`for` needs a state condition; an event or a change has no "
                             "duration (use count/within)")
        if self.distinct and self.group is None:
            raise ValueError("distinct counts devices of one incident: give `group` too")
        steps = [step.after for step in self.escalate]
        if steps != sorted(steps):
            raise ValueError("escalation steps must come in order of `after`")
        return self

    @property
    def momentary(self) -> bool:
        """Raised by occurrences, never auto-resolved: events, changes, counts."""
        return self.count is not None or any(t.momentary for t in point_tests(self.when))

    @property
    def latches(self) -> bool:
        return self.latching if self.latching is not None else (
            self.category in LATCHING_CATEGORIES)


AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()
