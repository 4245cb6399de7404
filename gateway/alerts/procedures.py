"""The procedures in force: the newest version of each, kept in the store, seeded from
the config, edited by supervisors; and the checklist each new alert is raised with."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.core.alerts import AlertSpec
from gateway.core.repositories import SopRepository
from gateway.core.sops import NO_CHECKLIST, Checklist, ChecklistItem, Sop, SopStep, StepKind


class SopError(Exception):
    """An edit that does not apply (unknown procedure)."""


class SopBook:
    def __init__(self, repository: SopRepository) -> None:
        self._repository = repository
        self._newest: dict[str, Sop] = {}

    async def load(self, configured: Iterable[Sop], now: float) -> None:
        """Take the stored versions; a configured procedure whose content differs from
        its newest stored version becomes a new version (by `config`)."""
        self._newest = {sop.id: sop for sop in await self._repository.newest()}
        for sop in configured:
            stored = self._newest.get(sop.id)
            if stored is None or not stored.same_content(sop):
                await self._add(sop, "config", now)

    def all(self) -> list[Sop]:
        return sorted(self._newest.values(), key=lambda sop: sop.id)

    def get(self, sop_id: str) -> Sop | None:
        return self._newest.get(sop_id)

    async def edit(self, sop: Sop, by: str, now: float) -> Sop:
        """Store `sop`'s content as the next version of its procedure."""
        if sop.id not in self._newest:
            raise SopError(f"no procedure {sop.id!r}")
        return await self._add(sop, by, now)

    async def versions(self, sop_id: str) -> list[Sop]:
        return await self._repository.versions(sop_id)

    async def _add(self, sop: Sop, by: str, now: float) -> Sop:
        stored = await self._repository.add(sop, by, now)
        self._newest[stored.id] = stored
        return stored

    def checklist(self, spec: AlertSpec) -> Checklist:
        """A rule's `sop:` naming a procedure gives its steps; any other text becomes the
        first step, followed by the procedure for the alert's category, if there is one."""
        named = self._newest.get(spec.sop)
        if named is not None:
            return _checklist(named)
        by_category = next((sop for sop in self._newest.values()
                            if sop.category == spec.category.value), None)
        first = (ChecklistItem(SopStep("sop", StepKind.CHECK, spec.sop)),) if spec.sop else ()
        if by_category is None:
            return Checklist("", 0, first) if first else NO_CHECKLIST
        found = _checklist(by_category)
        return Checklist(found.sop_id, found.version, first + found.items)


def _checklist(sop: Sop) -> Checklist:
    return Checklist(sop.id, sop.version, tuple(ChecklistItem(step) for step in sop.steps))
