"""One DC-09 frame in, the receiver's answer and the panel's events out: the pure decision,
without sockets or logging.

The checks run in DC-09's order, and the first that fails decides the answer:

| check | failing means | answer |
| --- | --- | --- |
| size | longer than `max_frame_bytes` | NAK (unread) |
| length field, CRC | truncated or corrupted on the way | NAK: send again |
| account | no panel has it | DUH: do not send again |
| key | plain frame for a panel that must encrypt, or encrypted for one with no key | DUH |
| decryption, header, data | unreadable with the panel's key | NAK |
| timestamp | outside the window (+20 s / -40 s), none on an encrypted frame | NAK, our time |
| kind, data, code | not the panel's protocol, another account's data, unknown code | DUH |
| sequence | the same frame again (a repeat) | ACK, nothing emitted |

The codec is `gateway.core.dc09`; only the clear header is read here first, to find the
panel and so its key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Literal

from adapters.sia.codes import HEARTBEAT, Meaning, contact_id_meaning, sia_meaning
from adapters.sia.config import SiaPanelConfig, SiaSettings
from adapters.sia.repeats import Repeats
from gateway.core.clock import Clock
from gateway.core.dc09 import (
    Frame,
    FrameError,
    ack_for,
    crc16,
    duh_for,
    encode_frame,
    nak,
    parse_contact_id,
    parse_frame,
    parse_sia_dcs,
    within_window,
)
from gateway.core.events import Event

__all__ = ["FrameReader", "Outcome", "Verdict"]

Verdict = Literal["ack", "repeat", "nak", "duh", "ignored"]

_HEX: Final = frozenset("0123456789ABCDEFabcdef")
_HEADER: Final = re.compile(
    r'"(?P<star>\*?)(?P<id>[A-Z][A-Z-]{1,9})"(?P<seq>\d{4})(?P<lines>(?:[RL][0-9A-F]{1,6})*)'
    r"(?:#(?P<account>[0-9A-F]{3,16})|A[0-9A-F]{1,16})?\[")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to do about one frame: the bytes to answer (None: nothing), the events to
    publish (only with `ack`), the panel it came from when known, why it was refused."""

    verdict: Verdict
    answer: bytes | None = None
    events: tuple[Event, ...] = ()
    device_id: str | None = None
    problem: str | None = None
    account: str | None = None
    refusal: str | None = None
    """Why it was refused, in one word for the counters: oversized, corrupt, truncated,
    unknown_account, key, unreadable, timestamp, unusable."""


@dataclass(frozen=True, slots=True)
class _Header:
    """The clear header: enough to find the panel and to answer DUH."""

    frame_id: str
    sequence: int
    account: str | None
    receiver: str | None
    prefix: str
    encrypted: bool


class FrameReader:
    """Decides every frame of one receiver; remembers sequence numbers for repeats."""

    def __init__(self, settings: SiaSettings, panels: Sequence[SiaPanelConfig], site: str,
                 clock: Clock) -> None:
        self._settings = settings
        self._panels: Mapping[str, SiaPanelConfig] = {p.account: p for p in panels}
        self._keys = {p.account: p.aes_key() for p in panels}
        self._site = site
        self._clock = clock
        self._repeats = Repeats(settings.repeat_window_s)

    def panel_of(self, account: str | None) -> SiaPanelConfig | None:
        return None if account is None else self._panels.get(account)

    def oversized(self, head: bytes, size: int) -> Outcome:
        """A frame longer than allowed, of which only `head` was kept."""
        header = _read_header(_body(head.decode("latin-1")))
        return self._nak(header, f"frame of {size}+ bytes is over the limit of "
                                 f"{self._settings.max_frame_bytes}", refusal="oversized")

    def truncated(self, head: bytes) -> Outcome:
        """A frame cut off by the end of its connection: nobody to answer."""
        header = _read_header(_body(head.decode("latin-1")))
        outcome = self._nak(header, f"connection closed in the middle of a frame "
                                    f"({len(head)} bytes)", refusal="truncated")
        return replace(outcome, verdict="ignored", answer=None)

    def read(self, raw: bytes) -> Outcome:
        text = raw.decode("latin-1").strip("\r\n\x00 ")
        if not text:
            return Outcome("ignored")
        if len(raw) > self._settings.max_frame_bytes:
            return self.oversized(raw[:64], len(raw))
        header = _read_header(_body(text))
        problem = _integrity_problem(text)
        if problem is not None:
            refusal = "truncated" if problem.startswith("truncated") else "corrupt"
            return self._nak(header, problem, refusal=refusal)
        if header is None:
            return self._nak(None, f"malformed header in {_excerpt(text[8:])}",
                             refusal="unreadable")
        if header.frame_id in ("ACK", "NAK", "DUH", "RSP"):
            return Outcome("ignored", account=header.account,
                           problem=f"a transmitter sent {header.frame_id}")
        panel = self.panel_of(header.account)
        if panel is None:
            return self._duh(header, None, f"unknown account {header.account or '-'}",
                             "unknown_account")
        key = self._keys[panel.account]
        if (key is None) == header.encrypted:
            why = ("encrypted frame, but no key is configured" if header.encrypted
                   else "plain frame, but the panel must encrypt")
            return self._duh(header, panel, why, "key")
        try:
            frame = parse_frame(text, key)
        except FrameError as exc:
            return self._nak(header, str(exc), panel, "unreadable")
        return self._checked(frame, panel, key)

    def _checked(self, frame: Frame, panel: SiaPanelConfig, key: bytes | None) -> Outcome:
        now = self._clock.now()
        stamp = frame.timestamp
        if stamp is None and frame.encrypted:
            return self._stale(frame, panel, key, "encrypted frame without a timestamp")
        if stamp is not None and not within_window(
                stamp, _utc(now), self._settings.window_before_s, self._settings.window_after_s):
            skew = stamp.timestamp() - now
            return self._stale(frame, panel, key,
                               f"timestamp {stamp:%H:%M:%S} UTC is {skew:+.0f} s off our clock")
        if frame.id == "NULL":
            return self._ack(frame, panel, key, (self._event(panel, HEARTBEAT, frame.sequence,
                                                             False, "NULL message"),))
        if panel.protocol not in ("any", frame.id):
            return self._duh(_header_of(frame), panel,
                             f"{frame.id} frame from a panel configured for {panel.protocol}")
        try:
            meaning, zone, detail = self._meaning(frame, panel)
        except FrameError as exc:
            return self._duh(_header_of(frame), panel, str(exc))
        fingerprint = (frame.id, frame.data, frame.extended)
        if self._repeats.seen(panel.account, frame.sequence, fingerprint, now):
            return replace(self._ack(frame, panel, key, ()), verdict="repeat")
        self._repeats.remember(panel.account, frame.sequence, fingerprint, now)
        point = meaning.point
        mapped = None if zone is None else panel.zones.get(zone)
        if mapped is not None and point != HEARTBEAT:
            point = f"{point}.{mapped.name}"
        value = frame.sequence if meaning.value is None else meaning.value
        return self._ack(frame, panel, key, (self._event(panel, point, value, meaning.urgent,
                                                         detail),))

    def _meaning(self, frame: Frame, panel: SiaPanelConfig
                 ) -> tuple[Meaning, int | None, str]:
        """The code's meaning, the panel zone and the detail; FrameError: unusable."""
        meaning: Meaning | None
        if frame.id == "SIA-DCS":
            sia = parse_sia_dcs(frame.data)
            account, zone, meaning = sia.account, sia.zone, sia_meaning(sia.code)
            area = "" if sia.area is None else f", area {sia.area}"
            detail = f"SIA {sia.code}{_zone_text(panel, zone)}{area}"
            code = sia.code
        else:
            cid = parse_contact_id(frame.data)
            account, zone = cid.account, cid.zone
            meaning = contact_id_meaning(cid.qualifier, cid.event)
            code = f"{cid.qualifier}{cid.event:03d}"
            detail = f"Contact ID {code}{_zone_text(panel, zone)}, partition {cid.partition}"
        if account != panel.account:
            raise FrameError(f"data of account {account} in a frame of account "
                             f"{panel.account}")
        if meaning is None:
            raise FrameError(f"unknown {frame.id} code {code}")
        return meaning, zone, detail

    def _event(self, panel: SiaPanelConfig, point: str, value: bool | int, urgent: bool,
               detail: str) -> Event:
        return Event(self._site, panel.id, point, value, self._clock.now(), urgent=urgent,
                     detail=detail)

    def _answer_lines(self, frame: Frame) -> Frame:
        receiver = frame.receiver if frame.receiver is not None else self._settings.receiver
        return replace(frame, receiver=receiver)

    def _ack(self, frame: Frame, panel: SiaPanelConfig, key: bytes | None,
             events: tuple[Event, ...]) -> Outcome:
        answer = ack_for(self._answer_lines(frame), self._now())
        return Outcome("ack", encode_frame(answer, key), events, panel.id,
                       account=panel.account)

    def _stale(self, frame: Frame, panel: SiaPanelConfig, key: bytes | None,
               problem: str) -> Outcome:
        """NAK with our time, encrypted as the frame was, so that the panel can trust it."""
        lines = self._answer_lines(frame)
        answer = nak(self._now(), lines.prefix, lines.receiver, frame.encrypted)
        return Outcome("nak", encode_frame(answer, key if frame.encrypted else None),
                       device_id=panel.id, problem=problem, account=panel.account,
                       refusal="timestamp")

    def _nak(self, header: _Header | None, problem: str, panel: SiaPanelConfig | None = None,
             refusal: str = "corrupt") -> Outcome:
        account = None if header is None else header.account
        panel = panel or self.panel_of(account)
        prefix = self._settings.prefix if header is None else header.prefix
        receiver = None if header is None else header.receiver
        answer = nak(self._now(), prefix, receiver or self._settings.receiver)
        return Outcome("nak", encode_frame(answer), device_id=None if panel is None
                       else panel.id, problem=problem, account=account, refusal=refusal)

    def _duh(self, header: _Header, panel: SiaPanelConfig | None, problem: str,
             refusal: str = "unusable") -> Outcome:
        message = Frame("NULL", header.sequence, header.account, header.prefix,
                        header.receiver or self._settings.receiver)
        answer = encode_frame(duh_for(message, self._now()))
        return Outcome("duh", answer, device_id=None if panel is None else panel.id,
                       problem=problem, account=header.account, refusal=refusal)

    def _now(self) -> datetime:
        return _utc(self._clock.now())


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def _body(text: str) -> str:
    """The frame from its opening quote on (after LF, CRC and length)."""
    text = text.lstrip("\n")
    return text[8:]


def _read_header(body: str) -> _Header | None:
    match = _HEADER.match(body)
    if match is None:
        return None
    lines = dict(re.findall(r"([RL])([0-9A-F]{1,6})", match["lines"]))
    return _Header(match["id"], int(match["seq"]), match["account"], lines.get("R"),
                   lines.get("L", "0"), bool(match["star"]))


def _header_of(frame: Frame) -> _Header:
    return _Header(frame.id, frame.sequence, frame.account, frame.receiver, frame.prefix,
                   frame.encrypted)


def _integrity_problem(text: str) -> str | None:
    """Why the frame's length field or CRC does not fit its content (None: they fit)."""
    text = text.lstrip("\n").rstrip("\r")
    if len(text) < 8:
        return f"not a frame: {len(text)} characters, no CRC and length"
    fields, body = text[:8], text[8:]
    if not set(fields) <= _HEX:
        return f"bad CRC or length field {fields!r}: want 8 hex digits"
    length = int(fields[4:], 16)
    if length > len(body):
        return f"truncated frame: length field says {length} characters, {len(body)} arrived"
    if length != len(body):
        return f"bad length: field says {length} characters, frame has {len(body)}"
    computed = crc16(body.encode("latin-1"))
    if int(fields[:4], 16) != computed:
        return f"bad CRC: frame says {fields[:4].upper()}, content gives {computed:04X}"
    return None


def _zone_text(panel: SiaPanelConfig, zone: int | None) -> str:
    if zone is None:
        return ""
    mapped = panel.zones.get(zone)
    if mapped is None or mapped.zone is None:
        return f", zone {zone}"
    return f", zone {zone} ({mapped.zone})"


def _excerpt(text: str) -> str:
    return repr(text[:40]) + ("..." if len(text) > 40 else "")
