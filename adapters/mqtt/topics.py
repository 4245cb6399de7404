"""MQTT topic filters: matching a topic, and the fewest filters that cover a set."""

from __future__ import annotations

from collections.abc import Iterable


def is_wildcard(pattern: str) -> bool:
    return "+" in pattern or "#" in pattern


def filter_matches(filter_levels: tuple[str, ...], topic: str) -> bool:
    """Whether a topic matches a filter given as its levels (MQTT 3.1.1 §4.7)."""
    levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return not (index == 0 and topic.startswith("$"))
        if index >= len(levels):
            return False
        if level == "+":
            if index == 0 and topic.startswith("$"):
                return False
            continue
        if level != levels[index]:
            return False
    return len(levels) == len(filter_levels)


def covers(general: str, specific: str) -> bool:
    """Whether every topic that matches filter `specific` also matches filter `general`."""
    wide = general.split("/")
    narrow = specific.split("/")
    for index, level in enumerate(wide):
        if level == "#":
            return True
        if index >= len(narrow):
            return False
        other = narrow[index]
        if other == "#":
            return False
        if level == "+":
            continue
        if level != other:
            return False
    return len(narrow) == len(wide)


def minimal_filters(filters: Iterable[str]) -> list[str]:
    """The filters of the set that no other filter of the set covers, sorted."""
    unique = sorted(set(filters))
    kept: list[str] = []
    for candidate in unique:
        if any(other != candidate and covers(other, candidate) for other in unique):
            continue
        kept.append(candidate)
    return kept
