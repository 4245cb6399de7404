"""One incident for an alarm flood: when a rule fires for many devices at once (a switch,
a power supply or the broker fails, and a thousand devices go silent together), the
control room gets one alert that names the likely common cause and counts its members,
not a thousand.

The first alerts of a rule within the window are raised as they come (nobody knows yet it
is a flood); from the `threshold`-th on, new alerts of that rule are folded into the rule's
flood incident instead. Latching alerts (panic, fire) are never folded: each is a person or
a fire. The incident clears once every folded member has cleared.

The incident's title counts its members still active (the devices still affected), and its
message how many are back. Each revision of an urgent alert is forwarded (to the police,
once each), so members joining or clearing are coalesced: the incident is revised at most
once every `revise_s`, and once more `revise_s` after the last revision when members
joined or cleared since (`revisions_due`), so that its title ends at the true count. An
incident no longer active (resolved by a person) is not raised again by members clearing.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from gateway.core.alerts import AlertSpec, ClearSpec, Outcome, Place

WINDOW_S = 30.0
THRESHOLD = 10
REVISE_S = 5.0
"""A flood incident is revised at most this often (seconds)."""


@dataclass
class _Flood:
    members: dict[str, AlertSpec] = field(default_factory=dict)
    """Folded alert keys still active and the spec each would have raised."""
    back: set[str] = field(default_factory=set)
    """Keys of the members that cleared (until one fails again)."""
    last_at: float = 0.0
    """When its latest member came: a window later, the flood is over (its incident stays
    until the members clear) and a device failing then fails on its own."""
    revised_at: float | None = None
    """When its incident was last raised or revised."""
    unsaid: AlertSpec | None = None
    """What the next revision is made from, when members joined or cleared since the
    last one: the latest member (stamped when the latest one cleared)."""


class FloodGate:
    """Decides, for each outcome in order, what reaches the alerts (pure but for its own
    memory of the recent raises; called on the loop)."""

    def __init__(self, places: Callable[[str, str], Place], window_s: float = WINDOW_S,
                 threshold: int = THRESHOLD, revise_s: float = REVISE_S) -> None:
        self._places = places
        self._window_s = window_s
        self._threshold = threshold
        self._revise_s = revise_s
        self._recent: dict[str, deque[float]] = {}
        self._floods: dict[str, _Flood] = {}
        self._folded: dict[str, str] = {}
        """Member key -> the rule whose flood holds it."""

    def admit(self, outcome: Outcome, active: Callable[[str], bool]) -> list[Outcome]:
        """What to apply for `outcome`: itself, or the flood incident it joins or leaves.
        `active(key)` says whether an alert of that key is active already."""
        if isinstance(outcome, ClearSpec):
            return self._cleared(outcome, active)
        if outcome.latching or active(outcome.key) or outcome.key.startswith("flood:"):
            return [outcome]
        rule = outcome.rule_id
        if outcome.key in self._folded:
            return []  # a member repeating itself: the incident already counts it
        now = outcome.ts
        flood = self._floods.get(rule)
        if flood is None or now - flood.last_at > self._window_s:
            recent = self._recent.setdefault(rule, deque())
            while recent and recent[0] < now - self._window_s:
                recent.popleft()
            recent.append(now)
            if len(recent) < self._threshold:
                return [outcome]
            recent.clear()
            if flood is None:
                flood = self._floods[rule] = _Flood()
        flood.last_at = now
        flood.members[outcome.key] = outcome
        flood.back.discard(outcome.key)
        self._folded[outcome.key] = rule
        return self._revised(rule, flood, outcome, now)

    def next_revision(self) -> float | None:
        """When `revisions_due` next has a revision to give (None: none is waiting)."""
        due = [flood.revised_at + self._revise_s for flood in self._floods.values()
               if flood.unsaid is not None and flood.revised_at is not None]
        return min(due, default=None)

    def revisions_due(self, now: float) -> list[AlertSpec]:
        """The revisions of incidents whose members joined since their last revision,
        once `revise_s` has passed since it."""
        return [self._revision(rule, flood, flood.unsaid, now)
                for rule, flood in self._floods.items()
                if flood.unsaid is not None and flood.revised_at is not None
                and flood.revised_at + self._revise_s <= now]

    def _revised(self, rule: str, flood: _Flood, latest: AlertSpec,
                 now: float) -> list[Outcome]:
        """The incident's revision now, or none yet when it was revised less than
        `revise_s` ago (`latest` is then said by `revisions_due`)."""
        if flood.revised_at is not None and now < flood.revised_at + self._revise_s:
            flood.unsaid = latest
            return []
        return [self._revision(rule, flood, latest, now)]

    def _revision(self, rule: str, flood: _Flood, latest: AlertSpec, now: float) -> AlertSpec:
        flood.revised_at, flood.unsaid = now, None
        return self._incident(rule, flood, latest)

    def _cleared(self, clear: ClearSpec, active: Callable[[str], bool]) -> list[Outcome]:
        rule = self._folded.pop(clear.key, None)
        if rule is None:
            return [clear]
        flood = self._floods[rule]
        del flood.members[clear.key]
        flood.back.add(clear.key)
        incident = f"flood:{rule}"
        if not flood.members:
            del self._floods[rule]
            self._recent.pop(rule, None)
            return [ClearSpec(incident, clear.ts, "every member cleared")]
        if not active(incident):  # resolved by a person: not raised again for this
            return []
        latest = replace(list(flood.members.values())[-1], ts=clear.ts)
        return self._revised(rule, flood, latest, clear.ts)

    def _incident(self, rule: str, flood: _Flood, latest: AlertSpec) -> AlertSpec:
        members = list(flood.members.values())
        places = [self._places(member.zone, member.device_id) for member in members]
        cause = _common_cause(places)
        count = len(members)
        named = ", ".join(p.device_name for p in places[:10]) + (
            f" and {count - 10} more" if count > 10 else "")
        back = len(flood.back)
        returned = f" {back} of {count + back} are back." if back else ""
        return replace(
            latest, key=f"flood:{rule}",
            title=f"同时告警 {count} 处：{cause} · {count} at once: {latest.title}",
            message=f"Likely common cause: {cause}. Its members are not raised one by one: "
                    f"{named}.{returned}",
            location=cause, escalation=(), evidence=(), snapshot=())


def _common_cause(places: list[Place]) -> str:
    """The narrowest thing most members share: a zone, else a building, else a device
    type, else the site."""
    for attribute in ("zone_name", "building", "device_type"):
        counted = Counter(str(getattr(p, attribute)) for p in places if getattr(p, attribute))
        if counted:
            value, count = counted.most_common(1)[0]
            if count * 2 > len(places):
                return value
    return places[0].site_name if places else "?"
