"""The alert manager owns the alert lifecycle.

Rules hand it outcomes; operators hand it actions. Each change is stored with its history
line and its outbox jobs in one transaction, and only then announced to the live feed and
the forwarders. A latching alert (panic, fire: GB 50394 §5.2.3) is never cleared by the
system, only by a person.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import tzinfo

from gateway.alerts.flood import FloodGate
from gateway.alerts.workflow import (
    Actor,
    AlertActionError,
    AlertNotFound,
    Command,
    decide,
)
from gateway.core.alerts import (
    Alert,
    AlertRevision,
    AlertSpec,
    AlertState,
    ClearSpec,
    Outcome,
    Place,
)
from gateway.core.backoff import Backoff
from gateway.core.clock import Clock, sleep_until
from gateway.core.feed import AlertFeed
from gateway.core.linkage import LinkageStatus
from gateway.core.repositories import (
    AlertChange,
    AlertChanger,
    AlertRepository,
    StoreUnavailable,
)
from gateway.core.sops import NO_CHECKLIST, Checklist

log = logging.getLogger(__name__)

BATCH = 64
"""At most this many queued outcomes are stored in one transaction."""

SYSTEM = "system"


__all__ = ["AlertActionError", "AlertManager", "AlertNotFound"]


class AlertManager:
    """Must be created on the running event loop.

    Each change is decided by a pure function of the alert as stored, run by the
    repository inside the transaction that writes it; only then is it announced."""

    def __init__(self, alerts: AlertRepository, clock: Clock, tz: tzinfo,
                 places: Callable[[Alert], Place], forward_drills: Mapping[str, bool],
                 feed: AlertFeed, on_enqueued: Callable[[], None],
                 on_raised: Callable[[Alert, AlertSpec], None] = lambda _alert, _spec: None,
                 evidence_base_url: str = "",
                 on_changed: Callable[[Alert], None] = lambda _alert: None,
                 on_store_error: Callable[[str], None] = lambda _reason: None,
                 checklists: Callable[[AlertSpec], Checklist] = lambda _spec: NO_CHECKLIST,
                 snooze_max_minutes: float = 15.0, flood: FloodGate | None = None) -> None:
        self._alerts = alerts
        self._clock = clock
        self._tz = tz
        self._timezone = str(tz)
        self._places = places
        self._forward_drills = forward_drills
        self._feed = feed
        self._on_enqueued = on_enqueued
        self._on_raised = on_raised
        self._on_changed = on_changed
        self._on_store_error = on_store_error
        self._evidence_base_url = evidence_base_url
        self._checklists = checklists
        self._snooze_max_minutes = snooze_max_minutes
        self._flood = flood
        self._flood_revision: float | None = None
        self._flood_changed = asyncio.Event()
        self._queue: asyncio.Queue[Outcome | Callable[[], None]] = asyncio.Queue()
        self._active_keys: set[str] = set()
        self._retry = Backoff(0.2, 5.0)
        self.store_problem: str | None = None
        """Why the last write failed, while the store is unavailable."""
        self.store_failing_since: float | None = None

    def submit(self, outcome: Outcome) -> None:
        """Queue a rule outcome (called from bus handlers, on the loop)."""
        self._queue.put_nowait(outcome)

    def after_stored(self, done: Callable[[], None]) -> None:
        """Call `done` once every outcome submitted before it has been stored (or has
        failed and been logged)."""
        self._queue.put_nowait(done)

    async def load(self) -> None:
        """Learn which alerts are active, so clears of inactive keys cost nothing."""
        self._active_keys = await self._alerts.active_keys()

    async def run(self) -> None:
        """Apply queued outcomes in order, until cancelled: those waiting together are
        stored in one transaction (a burst waits once for the disk), then the callbacks
        queued among them are called."""
        while True:
            taken = [await self._queue.get()]
            while len(taken) < BATCH and not self._queue.empty():
                taken.append(self._queue.get_nowait())
            try:
                outcomes = self._worth_applying(self._admitted(
                    [item for item in taken if isinstance(item, AlertSpec | ClearSpec)]))
                if outcomes:
                    await self._apply_until_stored(outcomes)
                for item in taken:
                    if not isinstance(item, AlertSpec | ClearSpec):
                        item()
            except Exception as exc:
                log.exception("could not apply %d outcome(s)", len(taken))
                self._on_store_error(f"could not apply an alert change: {exc!r}")
            finally:
                for _ in taken:
                    self._queue.task_done()

    def _admitted(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Through the flood gate: many alerts of one rule at once become one incident."""
        if self._flood is None:
            return outcomes
        flood = self._flood
        admitted = [admitted for outcome in outcomes
                    for admitted in flood.admit(outcome, self._active_keys.__contains__)]
        if flood.next_revision() != self._flood_revision:
            self._flood_changed.set()
        return admitted

    async def revise_floods(self) -> None:
        """Submit each flood incident's coalesced revision when it is due, until cancelled."""
        while True:
            self._flood_changed.clear()
            if self._flood is not None:
                for revision in self._flood.revisions_due(self._clock.now()):
                    self.submit(revision)
                self._flood_revision = self._flood.next_revision()
            await sleep_until(self._clock, self._flood_revision, self._flood_changed)

    def _worth_applying(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Raises, and clears of keys that are active or raised before them here."""
        raised = set()
        kept = []
        for outcome in outcomes:
            if isinstance(outcome, AlertSpec):
                raised.add(outcome.key)
            elif outcome.key not in self._active_keys and outcome.key not in raised:
                continue
            kept.append(outcome)
        return kept

    async def _apply_many(self, outcomes: list[Outcome]) -> None:
        results = await self._alerts.change_active_many(
            [(outcome.key, self._decider(outcome)) for outcome in outcomes])
        for outcome, result in zip(outcomes, results, strict=True):
            if isinstance(result, Exception):
                log.error("could not apply %s: %r", outcome, result, exc_info=result)
                self._on_store_error(f"could not apply an alert change: {result!r}")
            else:
                self._done(result, outcome if isinstance(outcome, AlertSpec) else None)

    def _decider(self, outcome: Outcome) -> AlertChanger:
        if isinstance(outcome, AlertSpec):
            return lambda current: self._raised(current, outcome)
        return lambda current: self._cleared(current, outcome)

    async def _apply_until_stored(self, outcomes: list[Outcome]) -> None:
        """Apply `outcomes`, retrying while the store is unavailable: nothing queued behind
        them goes first, and nothing is dropped (so nothing after them is acknowledged)."""
        while True:
            try:
                await self._apply_many(outcomes)
            except StoreUnavailable as exc:
                if self.store_problem is None:
                    log.error("alert store unavailable, holding %d outcome(s): %s",
                              self._queue.qsize() + 1, exc)
                    self.store_failing_since = self._clock.now()
                self.store_problem = str(exc)
                self._on_store_error(f"unavailable: {exc}")
                await self._clock.sleep(self._retry.next_delay())
                continue
            if self.store_problem is not None:
                log.warning("alert store available again after %.0f s",
                            self._clock.now() - (self.store_failing_since or 0.0))
                self.store_problem = self.store_failing_since = None
                self._retry.reset()
            return

    async def drain(self) -> None:
        """Wait until every submitted outcome is stored."""
        await self._queue.join()

    async def apply(self, outcome: Outcome) -> Alert | None:
        """Apply one outcome now (outside the queue)."""
        change = await self._alerts.change_active(outcome.key, self._decider(outcome))
        return self._done(change, outcome if isinstance(outcome, AlertSpec) else None)

    async def act(self, alert_id: str, command: Command, actor: Actor) -> Alert:
        """An operator works an alert (`gateway.alerts.workflow`): AlertActionError when
        the command does not apply to the alert as stored."""
        change = await self._alerts.change(
            alert_id, lambda current: self._acted(current, alert_id, command, actor))
        alert = self._done(change)
        assert alert is not None  # _acted raises rather than change nothing
        return alert

    async def attach_evidence(self, alert_id: str, links: Sequence[str]) -> Alert | None:
        """Link stored evidence (camera frames) to an alert: a new revision, forwarded."""
        change = await self._alerts.change(
            alert_id, lambda current: self._attached(current, tuple(links)))
        return self._done(change) if change else await self._alerts.get(alert_id)

    async def linkage_status(self, alert_id: str, status: LinkageStatus) -> Alert | None:
        """Record what a linkage platform said about an alert (None: no such alert). It is
        shown, kept in the history, and forwarded to nobody."""
        def received(current: Alert | None) -> AlertChange | None:
            if current is None:
                return None
            alert = replace(current, linkage=(*current.linkage, status),
                            revision=current.revision + 1)
            return self._change(alert, created=False, action=f"police.{status.status.value}",
                                from_state=current.state.value, actor=f"linkage:{status.channel}",
                                note=status.summary(), now=self._clock.now(), forward_to=())
        return self._done(await self._alerts.change(alert_id, received))

    async def escalate(self, alert_id: str, level: int) -> Alert | None:
        """Apply escalation step `level` (counted from 0) to an alert nobody acknowledged.

        Nothing happens (None) unless the alert is still open and exactly `level` steps
        were applied before, so a step is applied once even if asked twice."""
        return self._done(await self._alerts.change(
            alert_id, lambda current: self._escalated(current, level)))

    async def escalating(self) -> list[Alert]:
        """Open alerts with escalation steps still to apply."""
        return await self._alerts.escalating()

    # -- decisions: pure, run inside the store's transaction ----------------------------

    def _raised(self, current: Alert | None, spec: AlertSpec) -> AlertChange:
        now = self._clock.now()
        if current is None:
            checklist = self._checklists(spec)
            alert = Alert(
                id=_new_id(spec.ts or now), key=spec.key, rule_id=spec.rule_id, site=spec.site,
                device_id=spec.device_id, zone=spec.zone, category=spec.category,
                severity=spec.severity, title=spec.title, message=spec.message,
                location=spec.location, state=AlertState.OPEN, latching=spec.latching,
                drill=spec.drill, raised_at=spec.ts or now, last_event_at=spec.ts or now,
                event_count=1, revision=1, channels=spec.channels, evidence=spec.evidence,
                escalation=tuple(sorted(spec.escalation, key=lambda step: step.after_s)),
                sop=spec.sop, title_en=spec.title_en, sop_id=checklist.sop_id,
                sop_version=checklist.version, checklist=checklist.items)
            return self._change(alert, created=True, action="raised", from_state=None,
                                actor=SYSTEM, note="", now=now)
        severity = max(current.severity, spec.severity, key=lambda s: s.rank)
        # The title and message say what the latest signal says (a temperature now, how
        # many members a flood has).
        alert = replace(current, event_count=current.event_count + 1,
                        last_event_at=spec.ts or now, severity=severity,
                        revision=current.revision + 1, title=spec.title,
                        title_en=spec.title_en, message=spec.message,
                        evidence=current.evidence + spec.evidence)
        return self._change(alert, created=False, action="repeated",
                            from_state=current.state.value, actor=SYSTEM, note="", now=now)

    def _attached(self, current: Alert | None, links: tuple[str, ...]) -> AlertChange | None:
        new = tuple(link for link in links if link not in (current.evidence if current else ()))
        if current is None or not new:
            return None
        alert = replace(current, evidence=current.evidence + new, revision=current.revision + 1)
        return self._change(alert, created=False, action="evidence",
                            from_state=current.state.value, actor=SYSTEM,
                            note=f"{len(new)} evidence item(s)", now=self._clock.now())

    def _escalated(self, current: Alert | None, level: int) -> AlertChange | None:
        if current is None or current.escalation_level != level:
            return None
        step = current.next_escalation
        if step is None:
            return None
        severity = current.severity
        if step.severity is not None and step.severity.rank > severity.rank:
            severity = step.severity
        added = tuple(c for c in dict.fromkeys(step.channels) if c not in current.channels)
        alert = replace(current, severity=severity, channels=current.channels + added,
                        escalation_level=level + 1, revision=current.revision + 1)
        note = step.note or f"not acknowledged within {step.after_s:g} s"
        return self._change(alert, created=False, action="escalated",
                            from_state=current.state.value, actor=SYSTEM, note=note,
                            now=self._clock.now(), forward_to=None if step.renotify else added)

    def _cleared(self, current: Alert | None, clear: ClearSpec) -> AlertChange | None:
        if current is None or current.latching:
            return None
        alert = replace(current, state=AlertState.RESOLVED, revision=current.revision + 1,
                        cleared_unseen=current.state is AlertState.OPEN)
        return self._change(alert, created=False, action="auto_resolved",
                            from_state=current.state.value, actor=SYSTEM, note=clear.reason,
                            now=self._clock.now())

    def _acted(self, current: Alert | None, alert_id: str, command: Command,
               actor: Actor) -> AlertChange:
        if current is None:
            raise AlertNotFound(f"no alert {alert_id!r}")
        now = self._clock.now()
        decision = decide(current, command, actor, now, self._snooze_max_minutes)
        return self._change(decision.alert, created=False, action=command.action,
                            from_state=current.state.value, actor=actor.name,
                            note=decision.note, now=now,
                            forward_to=None if decision.forwarded else ())

    def _change(self, alert: Alert, *, created: bool, action: str, from_state: str | None,
                actor: str, note: str, now: float,
                forward_to: Sequence[str] | None = None) -> AlertChange:
        """One change; its revision is forwarded to `forward_to` (by default all the
        alert's channels, less those that take no drills when it is one)."""
        targets = alert.channels if forward_to is None else forward_to
        channels = tuple(c for c in targets
                         if not alert.drill or self._forward_drills.get(c, False))
        revision = (AlertRevision(alert, self._places(alert), now, self._timezone,
                                  self._evidence_base_url)
                    if channels else None)
        return AlertChange(alert, created, action, from_state, actor, note, now, channels,
                           revision)

    # -- after the commit ---------------------------------------------------------------

    def _done(self, change: AlertChange | None, spec: AlertSpec | None = None) -> Alert | None:
        """Announce a stored change: the live feed, the forwarders, the escalator."""
        if change is None:
            return None
        alert = change.alert
        if alert.active:
            self._active_keys.add(alert.key)
        else:
            self._active_keys.discard(alert.key)
        if change.created:
            log.info("alert %s raised: %s %s (%s)", alert.id, alert.severity.value,
                     alert.title, alert.location)
        elif change.action == "escalated":
            log.warning("alert %s escalated to level %d (%s): %s", alert.id,
                        alert.escalation_level, alert.severity.value, change.note)
        self._feed.publish({"type": "alert", "change": change.action, "actor": change.actor,
                            "alert": alert.to_dict(self._tz)})
        if change.forward_to:
            self._on_enqueued()
        if change.created and spec is not None:
            self._on_raised(alert, spec)
        self._on_changed(alert)
        return alert


def _new_id(ts: float) -> str:
    """Sortable, unique: milliseconds since the epoch in hex, then randomness."""
    return f"{int(ts * 1000):011x}{secrets.token_hex(4)}"
