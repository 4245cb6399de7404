"""Standard operating procedures: the checklist an operator works through for an alert.

A procedure is versioned; an alert keeps a copy of the steps of the version it was raised
with, and who did each step, when, with what answer. Required steps block resolving.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from gateway.core.config import StrictModel


class StepKind(StrEnum):
    CHECK = "check"
    """Tick when done."""
    YESNO = "yesno"
    """Answer yes or no."""
    TEXT = "text"
    """Write what was found."""
    CALL = "call"
    """Call `number` (110, 119, the principal) and tick."""
    DISPATCH = "dispatch"
    """Send someone (a guard, the police) and tick."""


_ANSWERS: dict[StepKind, frozenset[str] | None] = {
    StepKind.CHECK: frozenset({"done"}), StepKind.YESNO: frozenset({"yes", "no"}),
    StepKind.TEXT: None, StepKind.CALL: frozenset({"called", "no answer"}),
    StepKind.DISPATCH: None}


@dataclass(frozen=True, slots=True)
class SopStep:
    id: str
    kind: StepKind
    text: str
    text_en: str = ""
    required: bool = False
    number: str = ""
    """The number to call, for a `call` step."""

    def check_answer(self, value: str) -> str | None:
        """Why `value` is no answer to this step, or None when it is one."""
        allowed = _ANSWERS[self.kind]
        if allowed is None:
            return None if value.strip() else f"step {self.id} needs an answer"
        if value not in allowed:
            return (f"step {self.id} ({self.kind.value}) takes "
                    + " or ".join(repr(answer) for answer in sorted(allowed)))
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "text": self.text,
                "text_en": self.text_en, "required": self.required, "number": self.number}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> SopStep:
        return cls(str(record["id"]), StepKind(record["kind"]), str(record["text"]),
                   str(record.get("text_en", "")), bool(record.get("required", False)),
                   str(record.get("number", "")))


@dataclass(frozen=True, slots=True)
class Sop:
    """One version of a procedure."""

    id: str
    version: int
    title: str
    steps: tuple[SopStep, ...]
    title_en: str = ""
    category: str | None = None
    """The alert category it applies to when a rule names no procedure."""
    edited_by: str = "config"
    edited_at: float = 0.0

    def same_content(self, other: Sop) -> bool:
        return (self.title, self.title_en, self.category, self.steps) == (
            other.title, other.title_en, other.category, other.steps)

    def body(self) -> dict[str, Any]:
        """What a version says (without who made it, when)."""
        return {"title": self.title, "title_en": self.title_en, "category": self.category,
                "steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_body(cls, sop_id: str, version: int, body: dict[str, Any], edited_by: str,
                  edited_at: float) -> Sop:
        return cls(sop_id, version, str(body["title"]),
                   tuple(SopStep.from_dict(step) for step in body["steps"]),
                   str(body.get("title_en", "")), body.get("category"), edited_by, edited_at)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A step of an alert's checklist, and its answer once given."""

    step: SopStep
    value: str | None = None
    by: str | None = None
    at: float | None = None

    @property
    def done(self) -> bool:
        return self.value is not None

    def answered(self, value: str, by: str, at: float) -> ChecklistItem:
        return replace(self, value=value, by=by, at=at)

    def to_record(self) -> dict[str, Any]:
        return {**self.step.to_dict(), "value": self.value, "by": self.by, "at": self.at}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChecklistItem:
        at = record.get("at")
        return cls(SopStep.from_dict(record), record.get("value"), record.get("by"),
                   None if at is None else float(at))


def open_required(checklist: tuple[ChecklistItem, ...]) -> list[str]:
    """The ids of the required steps not done yet."""
    return [item.step.id for item in checklist if item.step.required and not item.done]


@dataclass(frozen=True, slots=True)
class Checklist:
    """What an alert is raised with: the procedure's id and version, and its steps."""

    sop_id: str
    version: int
    items: tuple[ChecklistItem, ...]


NO_CHECKLIST = Checklist("", 0, ())


_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class SopStepConfig(StrictModel):
    id: str = Field(pattern=_ID, description="Step id, unique within the procedure.")
    kind: StepKind = Field(default=StepKind.CHECK, description="check, yesno, text, call "
                                                              "or dispatch.")
    text: str = Field(min_length=1, description="What to do (zh-CN).")
    text_en: str = Field(default="", description="What to do, in English.")
    required: bool = Field(default=False, description="Resolving waits for it.")
    number: str = Field(default="", description="The number to call, for `call` steps.")

    @model_validator(mode="after")
    def _call_has_number(self) -> SopStepConfig:
        if self.kind is StepKind.CALL and not self.number:
            raise ValueError("a call step needs the number to call")
        return self

    def step(self) -> SopStep:
        return SopStep(self.id, self.kind, self.text, self.text_en, self.required,
                       self.number)


class SopConfig(StrictModel):
    id: str = Field(pattern=_ID, description="Procedure id, named by rules' `sop:`.")
    title: str = Field(min_length=1, description="Name (zh-CN).")
    title_en: str = Field(default="", description="Name, in English.")
    category: str | None = Field(
        default=None, description="The alert category it applies to when the rule names "
                                  "no procedure of its own.")
    steps: tuple[SopStepConfig, ...] = Field(min_length=1, description="The checklist.")

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, steps: tuple[SopStepConfig, ...]) -> tuple[SopStepConfig, ...]:
        seen: set[str] = set()
        for step in steps:
            if step.id in seen:
                raise ValueError(f"step id {step.id!r} appears twice")
            seen.add(step.id)
        return steps

    def sop(self, version: int = 1) -> Sop:
        return Sop(self.id, version, self.title, tuple(s.step() for s in self.steps),
                   self.title_en, self.category)
