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
from typing import Any

from gateway.alerts.feed import AlertFeed
from gateway.alerts.model import TRANSITIONS, Alert, AlertSpec, AlertState, ClearSpec
from gateway.clock import Clock
from gateway.forwarding.document import Place, alert_document, encode
from gateway.store.sqlite import AlertStore, NewJob
from rules.engine import Outcome

log = logging.getLogger(__name__)

SYSTEM = "system"


class AlertActionError(Exception):
    """An operator action that does not apply (unknown alert, wrong state)."""


class AlertNotFound(AlertActionError):
    """An operator action on an alert that does not exist."""


class AlertManager:
    """Must be created on the running event loop."""

    def __init__(self, store: AlertStore, clock: Clock, tz: tzinfo,
                 places: Callable[[Alert], Place], forward_drills: Mapping[str, bool],
                 feed: AlertFeed, on_enqueued: Callable[[], None],
                 on_raised: Callable[[Alert, AlertSpec], None] = lambda _alert, _spec: None,
                 evidence_base_url: str = "",
                 on_changed: Callable[[Alert], None] = lambda _alert: None) -> None:
        self._store = store
        self._clock = clock
        self._tz = tz
        self._places = places
        self._forward_drills = forward_drills
        self._feed = feed
        self._on_enqueued = on_enqueued
        self._on_raised = on_raised
        self._on_changed = on_changed
        self._evidence_base_url = evidence_base_url
        self._queue: asyncio.Queue[Outcome] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._active_keys: set[str] = set()

    def submit(self, outcome: Outcome) -> None:
        """Queue a rule outcome (called from bus handlers, on the loop)."""
        self._queue.put_nowait(outcome)

    async def load(self) -> None:
        """Learn which alerts are active, so clears of inactive keys cost nothing."""
        self._active_keys = await self._store.run(self._store.active_keys_sync)

    async def run(self) -> None:
        """Apply queued outcomes in order, until cancelled."""
        while True:
            outcome = await self._queue.get()
            try:
                if isinstance(outcome, AlertSpec) or outcome.key in self._active_keys:
                    await self.apply(outcome)
            except Exception:
                log.exception("could not apply %s", outcome)
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every submitted outcome is stored."""
        await self._queue.join()

    async def apply(self, outcome: Outcome) -> Alert | None:
        if isinstance(outcome, AlertSpec):
            return await self._store.run(lambda: self._raise_sync(outcome))
        return await self._store.run(lambda: self._clear_sync(outcome))

    async def act(self, alert_id: str, action: str, actor: str, note: str = "") -> Alert:
        """An operator acknowledges, resolves or closes an alert."""
        if action not in TRANSITIONS:
            raise AlertActionError(f"unknown action {action!r}")
        return await self._store.run(lambda: self._act_sync(alert_id, action, actor, note))

    async def attach_evidence(self, alert_id: str, links: Sequence[str]) -> Alert | None:
        """Link stored evidence (camera frames) to an alert: a new revision, forwarded."""
        return await self._store.run(lambda: self._attach_sync(alert_id, tuple(links)))

    async def escalate(self, alert_id: str, level: int) -> Alert | None:
        """Apply escalation step `level` (counted from 0) to an alert nobody acknowledged.

        Nothing happens (None) unless the alert is still open and exactly `level` steps
        were applied before, so a step is applied once even if asked twice."""
        return await self._store.run(lambda: self._escalate_sync(alert_id, level))

    async def escalating(self) -> list[Alert]:
        """Open alerts with escalation steps still to apply."""
        return await self._store.run(self._store.escalating_sync)

    # -- on the store thread ----------------------------------------------------------

    def _attach_sync(self, alert_id: str, links: tuple[str, ...]) -> Alert | None:
        current = self._store.get_sync(alert_id)
        new = tuple(link for link in links if link not in (current.evidence if current else ()))
        if current is None or not new:
            return current
        alert = replace(current, evidence=current.evidence + new, revision=current.revision + 1)
        self._save(alert, created=False, action="evidence", from_state=current.state.value,
                   actor=SYSTEM, note=f"{len(new)} evidence item(s)", now=self._clock.now())
        return alert

    def _raise_sync(self, spec: AlertSpec) -> Alert:
        now = self._clock.now()
        current = self._store.active_by_key_sync(spec.key)
        if current is None:
            alert = Alert(
                id=_new_id(spec.ts or now), key=spec.key, rule_id=spec.rule_id, site=spec.site,
                device_id=spec.device_id, zone=spec.zone, category=spec.category,
                severity=spec.severity, title=spec.title, message=spec.message,
                location=spec.location, state=AlertState.OPEN, latching=spec.latching,
                drill=spec.drill, raised_at=spec.ts or now, last_event_at=spec.ts or now,
                event_count=1, revision=1, channels=spec.channels, evidence=spec.evidence,
                escalation=tuple(sorted(spec.escalation, key=lambda step: step.after_s)),
                sop=spec.sop)
            self._save(alert, created=True, action="raised", from_state=None, actor=SYSTEM,
                       note="", now=now)
            log.info("alert %s raised: %s %s (%s)", alert.id, alert.severity.value,
                     alert.title, alert.location)
            self._loop.call_soon_threadsafe(self._on_raised, alert, spec)
            return alert
        severity = max(current.severity, spec.severity, key=lambda s: s.rank)
        alert = replace(current, event_count=current.event_count + 1,
                        last_event_at=spec.ts or now, severity=severity,
                        revision=current.revision + 1,
                        evidence=current.evidence + spec.evidence)
        self._save(alert, created=False, action="repeated", from_state=current.state.value,
                   actor=SYSTEM, note="", now=now)
        return alert

    def _escalate_sync(self, alert_id: str, level: int) -> Alert | None:
        current = self._store.get_sync(alert_id)
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
        self._save(alert, created=False, action="escalated", from_state=current.state.value,
                   actor=SYSTEM, note=note, now=self._clock.now(),
                   forward_to=None if step.renotify else added)
        log.warning("alert %s escalated to level %d (%s): %s", alert.id, level + 1,
                    alert.severity.value, note)
        return alert

    def _clear_sync(self, clear: ClearSpec) -> Alert | None:
        current = self._store.active_by_key_sync(clear.key)
        if current is None or current.latching:
            return None
        alert = replace(current, state=AlertState.RESOLVED, revision=current.revision + 1)
        self._save(alert, created=False, action="auto_resolved",
                   from_state=current.state.value, actor=SYSTEM, note=clear.reason,
                   now=self._clock.now())
        return alert

    def _act_sync(self, alert_id: str, action: str, actor: str, note: str) -> Alert:
        current = self._store.get_sync(alert_id)
        if current is None:
            raise AlertNotFound(f"no alert {alert_id!r}")
        allowed_from, to_state = TRANSITIONS[action]
        if current.state not in allowed_from:
            raise AlertActionError(f"cannot {action} an alert that is {current.state.value}")
        alert = replace(current, state=to_state, revision=current.revision + 1)
        self._save(alert, created=False, action=action, from_state=current.state.value,
                   actor=actor, note=note, now=self._clock.now())
        return alert

    def _save(self, alert: Alert, *, created: bool, action: str, from_state: str | None,
              actor: str, note: str, now: float,
              forward_to: Sequence[str] | None = None) -> None:
        """Store and announce one change; its revision is forwarded to `forward_to`
        (by default all the alert's channels)."""
        jobs = self._jobs(alert, now, alert.channels if forward_to is None else forward_to)
        self._store.save_sync(alert, created=created, action=action, from_state=from_state,
                              actor=actor, note=note, now=now, jobs=jobs)
        if alert.active:
            self._active_keys.add(alert.key)
        else:
            self._active_keys.discard(alert.key)
        message = {"type": "alert", "change": action, "actor": actor,
                   "alert": alert.to_dict(self._tz)}
        self._announce(message, bool(jobs))
        self._loop.call_soon_threadsafe(self._on_changed, alert)

    def _jobs(self, alert: Alert, now: float, targets: Sequence[str]) -> list[NewJob]:
        channels = [c for c in targets
                    if not alert.drill or self._forward_drills.get(c, False)]
        if not channels:
            return []
        body = encode(alert_document(alert, self._places(alert), self._tz, now,
                                     self._evidence_base_url))
        return [NewJob(channel, body) for channel in channels]

    def _announce(self, message: dict[str, Any], enqueued: bool) -> None:
        self._loop.call_soon_threadsafe(self._feed.publish, message)
        if enqueued:
            self._loop.call_soon_threadsafe(self._on_enqueued)


def _new_id(ts: float) -> str:
    """Sortable, unique: milliseconds since the epoch in hex, then randomness."""
    return f"{int(ts * 1000):011x}{secrets.token_hex(4)}"
