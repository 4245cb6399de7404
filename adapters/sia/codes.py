"""What the panels' event codes mean in points: SIA DC-03 two-letter codes and Contact ID
(SIA DC-05) event numbers with their qualifier.

A code sets one point to True or False; a restore (SIA's paired code, Contact ID qualifier
3) to the opposite. Urgency belongs to the point, not to the value, so that an alarm and
its restore keep their order on the bus. Codes not listed here are answered DUH.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["HEARTBEAT", "POINTS", "Meaning", "contact_id_meaning", "sia_meaning"]

HEARTBEAT: Final = "heartbeat"
"""The point of NULL messages and periodic test reports: their sequence number."""


@dataclass(frozen=True, slots=True)
class Meaning:
    """A code's point and the value it sets (None: a heartbeat, valued by the frame)."""

    point: str
    value: bool | None
    urgent: bool = False


_URGENT: Final = frozenset({"pressed", "fire", "intrusion", "gas_alarm", "alarm"})


def _pair(point: str, alarm: str, restore: str | None) -> dict[str, Meaning]:
    urgent = point in _URGENT
    pair = {alarm: Meaning(point, True, urgent)}
    if restore is not None:
        pair[restore] = Meaning(point, False, urgent)
    return pair


SIA_CODES: Final[dict[str, Meaning]] = {
    **_pair("pressed", "PA", "PH"),       # panic alarm / restoral (一键报警)
    **_pair("pressed", "HA", "HH"),       # hold-up (duress) alarm / restoral
    **_pair("fire", "FA", "FH"),
    **_pair("intrusion", "BA", "BH"),     # burglary
    **_pair("tamper", "TA", "TR"),
    **_pair("gas_alarm", "GA", "GH"),
    **_pair("alarm", "UA", "UH"),         # untyped zone alarm
    **_pair("trouble", "YS", "YK"),       # communications trouble / restoral
    **_pair("trouble", "FT", "FJ"),       # fire trouble / restoral
    **_pair("trouble", "BT", "BJ"),       # burglary trouble / restoral
    **_pair("battery_low", "YT", "YR"),   # system battery trouble / restoral
    **_pair("ac_failure", "AT", "AR"),    # AC power trouble / restoral
    **_pair("armed", "CL", "OP"),         # closing (armed) / opening (disarmed)
    **_pair("test_report", "RX", None),   # manual test
    **_pair("test_report", "TX", None),   # test report (our own channel's drills)
    "RP": Meaning(HEARTBEAT, None),       # automatic (periodic) test
}

# Contact ID: (first, last event number, point); qualifier 1 (new) or 6 (status) sets the
# point to `True`, qualifier 3 (restore) to `False` -- for `armed`, the other way round
# (40x "open" is 1, "close" is 3).
_CONTACT_ID_RANGES: Final[tuple[tuple[int, int, str], ...]] = (
    (100, 109, "alarm"),           # medical
    (110, 119, "fire"),            # fire, smoke, combustion, water flow, heat, pull station
    (120, 129, "pressed"),         # panic, duress, silent, audible
    (130, 136, "intrusion"),       # burglary, perimeter, interior, 24 h, entry/exit, ...
    (137, 137, "tamper"),
    (138, 139, "intrusion"),
    (144, 145, "tamper"),          # sensor / expansion module tamper
    (150, 150, "alarm"),
    (151, 151, "gas_alarm"),
    (300, 300, "trouble"),
    (301, 301, "ac_failure"),
    (302, 302, "battery_low"),
    (303, 349, "trouble"),
    (350, 359, "trouble"),         # communication troubles
    (370, 389, "trouble"),         # protection loop and sensor troubles
    (383, 383, "tamper"),          # sensor tamper (checked before the trouble range)
    (400, 409, "armed"),           # open / close
    (601, 601, "test_report"),     # manual test
    (602, 602, HEARTBEAT),         # periodic test
)

POINTS: Final[tuple[str, ...]] = tuple(dict.fromkeys(
    [meaning.point for meaning in SIA_CODES.values()]
    + [point for _, _, point in _CONTACT_ID_RANGES]))
"""Every point a code can set."""


def sia_meaning(code: str) -> Meaning | None:
    """The meaning of a SIA DC-03 event code (None: unknown)."""
    return SIA_CODES.get(code)


def contact_id_meaning(qualifier: int, event: int) -> Meaning | None:
    """The meaning of a Contact ID event with its qualifier (None: unknown)."""
    point = _contact_id_point(event)
    if point is None:
        return None
    if point == HEARTBEAT:
        return Meaning(HEARTBEAT, None)
    new = qualifier != 3
    if point == "test_report":
        return Meaning(point, True) if new else None
    value = not new if point == "armed" else new
    return Meaning(point, value, point in _URGENT)


def _contact_id_point(event: int) -> str | None:
    if event == 383:
        return "tamper"
    for first, last, point in _CONTACT_ID_RANGES:
        if first <= event <= last:
            return point
    return None
