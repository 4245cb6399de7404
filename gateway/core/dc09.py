"""SIA DC-09 (IP alarm transport, 报警联网传输) frames: the pure codec, without transport.

A frame on the wire is

    <LF><crc><0LLL>"<id>"<seq>R<receiver>L<prefix>#<account>[<data>]<x-data><timestamp><CR>

`crc` is the CRC-16/ARC (polynomial 0x8005 reflected, 0xA001; initial 0; DC-09 §5.5.1.2)
of the bytes from the opening quote to the end of the timestamp, as four uppercase hex
digits; `0LLL` is the length of the same span, four hex digits. `seq` runs 0001–9999 and
wraps to 0001. The timestamp is `_HH:MM:SS,MM-DD-YYYY` in UTC.

Encrypted frames (`"*SIA-DCS"`, `"*ADM-CID"`, `"*NULL"`, `"*ACK"`) carry, after `[`, the
uppercase hex of AES-CBC (128/192/256-bit key, zero IV) over `<pad>|<data>]<x-data><timestamp>`,
where the pad is 1–16 random characters (never `|`, `[` or `]`) so that the plaintext fills
whole 16-byte blocks. Receivers such as pysiaalarm answer with a pad of `0`s and no `|`;
`parse_frame` accepts both.

Data: "SIA-DCS" (SIA DC-03) is `#<account>|N[ri<area>/]<code><zone>`; "ADM-CID" (Ademco
Contact ID, SIA DC-05) is `#<account>|<q><eee> <pp> <zzz>` (qualifier 1 new event, 3 restore,
6 status; event code; partition; zone). NULL messages and answers carry empty data.

Everything here is pure: times, pads and keys come in as arguments. A frame that cannot be
read raises `FrameError` naming why (truncated, bad length, bad CRC, unknown id, ...).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "ANSWER_IDS",
    "MESSAGE_IDS",
    "ContactIdEvent",
    "Frame",
    "FrameError",
    "FrameId",
    "SiaEvent",
    "ack_for",
    "contact_id_data",
    "crc16",
    "duh_for",
    "encode_frame",
    "format_timestamp",
    "nak",
    "next_sequence",
    "null_message",
    "parse_contact_id",
    "parse_frame",
    "parse_key",
    "parse_sia_dcs",
    "parse_timestamp",
    "sia_dcs_data",
    "within_window",
]

FrameId = Literal["SIA-DCS", "ADM-CID", "NULL", "ACK", "NAK", "DUH", "RSP"]
MESSAGE_IDS: Final = frozenset({"SIA-DCS", "ADM-CID", "NULL"})
"""What a transmitter sends."""
ANSWER_IDS: Final = frozenset({"ACK", "NAK", "DUH", "RSP"})
"""What a receiver answers: ACK taken; NAK not taken, send again (e.g. timestamp out of
its window); DUH understood the frame but not the data, do not send it again; RSP taken,
with a response."""
_IDS: Final = MESSAGE_IDS | ANSWER_IDS

MAX_SEQUENCE: Final = 9999
_TIMESTAMP: Final = re.compile(r"_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d{4})")
"""`_HH:MM:SS,MM-DD-YYYY` in UTC (read by a pattern: strptime consults the locale each call)."""
TIMESTAMP_CHARS: Final = 20
WINDOW_BEFORE_S: Final = 40.0
"""A receiver takes a timestamp up to 40 s behind its clock ..."""
WINDOW_AFTER_S: Final = 20.0
"""... and up to 20 s ahead of it (DC-09 §5.5.1.8)."""
AES_KEY_BYTES: Final = frozenset({16, 24, 32})
_BLOCK: Final = 16
_PAD_ALPHABET: Final = string.ascii_letters + string.digits
_HEX: Final = frozenset(string.hexdigits)
_FORBIDDEN_IN_DATA: Final = frozenset("[]\r\n")


class FrameError(ValueError):
    """A frame (or its data) could not be read or built; the message says why."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One DC-09 frame. `data` is what stands between the first `[` and `]` (e.g.
    `#1234|Nri1/PA005`, empty for NULL messages and answers); `extended` the x-data blocks
    after it, without brackets; `timestamp` is UTC (None: the frame has none)."""

    id: FrameId
    sequence: int
    account: str | None
    prefix: str = "0"
    receiver: str | None = "0"
    data: str = ""
    timestamp: datetime | None = None
    encrypted: bool = False
    extended: tuple[str, ...] = field(default=())

    @property
    def is_answer(self) -> bool:
        return self.id in ANSWER_IDS


@dataclass(frozen=True, slots=True)
class SiaEvent:
    """SIA DC-03 data: one event code with its zone (address) and optional area."""

    account: str
    code: str
    zone: int | None = None
    area: int | None = None


@dataclass(frozen=True, slots=True)
class ContactIdEvent:
    """Ademco Contact ID data: qualifier (1 new event, 3 restore, 6 status), event code
    (e.g. 120 panic), partition (00–99) and zone (000–999)."""

    account: str
    qualifier: int
    event: int
    partition: int
    zone: int


# --- CRC, sequence, timestamp, key ---------------------------------------------------


def _crc_of_byte(byte: int) -> int:
    crc = byte
    for _ in range(8):
        crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


_CRC_TABLE: Final = tuple(_crc_of_byte(byte) for byte in range(256))
"""The CRC of each byte value, so that `crc16` takes one step per byte, not eight."""


def crc16(data: bytes) -> int:
    """CRC-16/ARC as DC-09 specifies (poly 0x8005 reflected; init 0; no final xor):
    `crc16(b"123456789") == 0xBB3D`."""
    crc = 0
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def next_sequence(sequence: int) -> int:
    """The sequence number after `sequence`: 1 … 9999, then 1 again (0 is never sent
    but by NAKs)."""
    return sequence + 1 if 0 <= sequence < MAX_SEQUENCE else 1


def format_timestamp(when: datetime) -> str:
    """`_HH:MM:SS,MM-DD-YYYY` in UTC (a naive datetime is taken as UTC)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC)
    return (f"_{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d},"
            f"{utc.month:02d}-{utc.day:02d}-{utc.year:04d}")


def parse_timestamp(text: str) -> datetime:
    """The UTC time of a `_HH:MM:SS,MM-DD-YYYY` timestamp (read with a pattern, not
    `strptime`, which consults the locale on every call: a receiver reads one per frame)."""
    match = _TIMESTAMP.fullmatch(text)
    try:
        if match is None:
            raise ValueError("not the pattern")
        hour, minute, second, month, day, year = map(int, match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise FrameError(f"bad timestamp {text!r}: want _HH:MM:SS,MM-DD-YYYY") from exc


def within_window(timestamp: datetime, now: datetime, before_s: float = WINDOW_BEFORE_S,
                  after_s: float = WINDOW_AFTER_S) -> bool:
    """Whether a receiver whose clock reads `now` takes a frame stamped `timestamp`
    (DC-09: from 40 s behind to 20 s ahead)."""
    return now - timedelta(seconds=before_s) <= timestamp <= now + timedelta(seconds=after_s)


def parse_key(hex_key: str) -> bytes:
    """An AES key given as hex (32, 48 or 64 digits: AES-128, -192, -256)."""
    text = hex_key.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise FrameError("AES key must be hex digits") from exc
    if len(key) not in AES_KEY_BYTES:
        raise FrameError(f"AES key must be 16, 24 or 32 bytes (32, 48 or 64 hex digits), "
                         f"got {len(key)} bytes")
    return key


# --- building frames -----------------------------------------------------------------


def encode_frame(frame: Frame, key: bytes | None = None, pad: str | None = None) -> bytes:
    """The bytes on the wire for `frame`: encrypted with `key` when `frame.encrypted`.

    `pad` (encrypted frames only) fixes the pad characters for reproducible vectors; by
    default they are random. Its length must complete the last 16-byte block."""
    _check_frame(frame)
    header = _header(frame)
    if frame.encrypted:
        if key is None:
            raise FrameError(f"encrypted {frame.id} frame needs a key")
        body = header + "[" + _encrypt(frame, key, pad)
    else:
        body = header + "[" + _clear_tail(frame)
    raw = body.encode("ascii")
    return b"\n" + f"{crc16(raw):04X}{len(raw):04X}".encode("ascii") + raw + b"\r"


def null_message(sequence: int, account: str, prefix: str = "0", receiver: str | None = "0",
                 timestamp: datetime | None = None, encrypted: bool = False) -> Frame:
    """A NULL message: link supervision, answered with ACK like any message."""
    return Frame("NULL", sequence, account, prefix, receiver, "", timestamp, encrypted)


def ack_for(message: Frame, timestamp: datetime | None = None) -> Frame:
    """The receiver's ACK of `message`: same sequence, receiver, prefix and account,
    encrypted when the message was."""
    return Frame("ACK", message.sequence, message.account, message.prefix, message.receiver,
                 "", timestamp, message.encrypted)


def duh_for(message: Frame, timestamp: datetime | None = None) -> Frame:
    """The receiver's DUH for `message` (it cannot use the data): never encrypted."""
    return Frame("DUH", message.sequence, message.account, message.prefix, message.receiver,
                 "", timestamp, False)


def nak(timestamp: datetime, prefix: str = "0", receiver: str | None = "0",
        encrypted: bool = False) -> Frame:
    """A NAK: sequence 0000, no account (written `A0`), with the receiver's own time so
    that the transmitter can tell a skewed clock (`"NAK"0000R0L0A0[]_...`)."""
    return Frame("NAK", 0, None, prefix, receiver, "", timestamp, encrypted)


def sia_dcs_data(account: str, code: str, zone: int | None = None,
                 area: int | None = None) -> str:
    """SIA DC-03 data for one event: `#<account>|N[ri<area>/]<code>[<zone, 3 digits>]`."""
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise FrameError(f"SIA event code must be two capital letters, got {code!r}")
    _check_account(account)
    area_part = "" if area is None else f"ri{_bounded(area, 0, 9999, 'area')}/"
    zone_part = "" if zone is None else f"{_bounded(zone, 0, 9999, 'zone'):03d}"
    return f"#{account}|N{area_part}{code}{zone_part}"


def contact_id_data(account: str, qualifier: int, event: int, partition: int,
                    zone: int) -> str:
    """Contact ID data: `#<account>|<q><eee> <pp> <zzz>`, e.g. `#1234|1120 01 005`."""
    _check_account(account)
    if qualifier not in (1, 3, 6):
        raise FrameError(f"Contact ID qualifier must be 1, 3 or 6, got {qualifier}")
    return (f"#{account}|{qualifier}{_bounded(event, 0, 999, 'event'):03d} "
            f"{_bounded(partition, 0, 99, 'partition'):02d} {_bounded(zone, 0, 999, 'zone'):03d}")


def parse_sia_dcs(data: str) -> SiaEvent:
    """The event in SIA-DCS data as `sia_dcs_data` writes it (also without `/`)."""
    match = re.fullmatch(r"#(?P<account>[0-9A-F]{3,16})\|N(?:ri(?P<area>\d{1,4})/?)?"
                         r"(?P<code>[A-Z]{2})(?P<zone>\d{1,4})?(?:\^[^\]]*)?", data)
    if match is None:
        raise FrameError(f"not SIA-DCS event data: {data!r}")
    area, zone = match["area"], match["zone"]
    return SiaEvent(match["account"], match["code"], None if zone is None else int(zone),
                    None if area is None else int(area))


def parse_contact_id(data: str) -> ContactIdEvent:
    """The event in ADM-CID data (`#<account>|<q><eee> <pp> <zzz>`)."""
    match = re.fullmatch(r"#(?P<account>[0-9A-F]{3,16})\|(?P<q>[136])(?P<event>\d{3}) "
                         r"(?P<partition>\d{2}) (?P<zone>\d{3})", data)
    if match is None:
        raise FrameError(f"not ADM-CID event data: {data!r}")
    return ContactIdEvent(match["account"], int(match["q"]), int(match["event"]),
                          int(match["partition"]), int(match["zone"]))


def _check_frame(frame: Frame) -> None:
    if frame.id not in _IDS:
        raise FrameError(f"unknown frame id {frame.id!r}")
    if not 0 <= frame.sequence <= MAX_SEQUENCE:
        raise FrameError(f"sequence must be 0000-9999, got {frame.sequence}")
    for name, value in (("receiver", frame.receiver), ("prefix", frame.prefix)):
        if value is not None and not re.fullmatch(r"[0-9A-F]{1,6}", value):
            raise FrameError(f"{name} must be 1-6 hex digits, got {value!r}")
    if frame.account is not None:
        _check_account(frame.account)
    for part in (frame.data, *frame.extended):
        if not part.isascii() or _FORBIDDEN_IN_DATA & set(part):
            raise FrameError(f"data must be ASCII without brackets or line ends: {part!r}")
    if frame.encrypted and frame.timestamp is None:
        raise FrameError("an encrypted frame needs a timestamp")


def _check_account(account: str) -> None:
    if not re.fullmatch(r"[0-9A-F]{3,16}", account):
        raise FrameError(f"account must be 3-16 hex digits (capitals), got {account!r}")


def _bounded(value: int, low: int, high: int, name: str) -> int:
    if not low <= value <= high:
        raise FrameError(f"{name} must be {low}-{high}, got {value}")
    return value


def _header(frame: Frame) -> str:
    star = "*" if frame.encrypted else ""
    receiver = "" if frame.receiver is None else f"R{frame.receiver}"
    account = "A0" if frame.account is None else f"#{frame.account}"
    return f'"{star}{frame.id}"{frame.sequence:04d}{receiver}L{frame.prefix}{account}'


def _after_data(frame: Frame) -> str:
    """`]`, the x-data blocks and the timestamp."""
    extended = "".join(f"[{block}]" for block in frame.extended)
    stamp = "" if frame.timestamp is None else format_timestamp(frame.timestamp)
    return "]" + extended + stamp


def _clear_tail(frame: Frame) -> str:
    return frame.data + _after_data(frame)


def _encrypt(frame: Frame, key: bytes, pad: str | None) -> str:
    secret = "|" + frame.data + _after_data(frame)
    missing = _BLOCK - len(secret) % _BLOCK
    if pad is None:
        pad = "".join(secrets.choice(_PAD_ALPHABET) for _ in range(missing))
    elif (len(pad) + len(secret)) % _BLOCK or not pad.isascii() or set(pad) & set("|[]"):
        raise FrameError("pad must be ASCII without | [ ] and complete the 16-byte block")
    encryptor = _cipher(key).encryptor()
    plain = (pad + secret).encode("ascii")
    return (encryptor.update(plain) + encryptor.finalize()).hex().upper()


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    if len(key) not in AES_KEY_BYTES:
        raise FrameError(f"AES key must be 16, 24 or 32 bytes, got {len(key)}")
    return Cipher(algorithms.AES(key), modes.CBC(bytes(_BLOCK)))


# --- reading frames ------------------------------------------------------------------

_HEAD = re.compile(
    r'"(?P<star>\*)?(?P<id>[A-Z][A-Z-]{1,9})"(?P<seq>\d{4})'
    r"(?:R(?P<receiver>[0-9A-F]{1,6}?))?(?:L(?P<prefix>[0-9A-F]{1,6}?))?"
    r"(?:R(?P<receiver2>[0-9A-F]{1,6}?))?"
    r"(?:#(?P<account>[0-9A-F]{3,16}?)|A[0-9A-F]{1,16}?)?\[")
_CLEAR_TAIL = re.compile(
    r"(?P<data>[^\[\]]*)\](?P<extended>(?:\[[^\[\]]*\])*)"
    r"(?P<stamp>_\d\d:\d\d:\d\d,\d\d-\d\d-\d{4})?")
_EXTENDED = re.compile(r"\[([^\[\]]*)\]")


def parse_frame(raw: bytes | str, key: bytes | None = None) -> Frame:
    """Read one frame (with or without its LF and CR); `key` decrypts an encrypted one.

    Raises FrameError: truncated, bad length, bad CRC, unknown id, malformed header or
    data, encrypted without a key, undecipherable with the key given."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    if text.startswith("\n"):
        text = text[1:]
    if text.endswith("\r"):
        text = text[:-1]
    elif "\r" in text:
        raise FrameError("characters after the closing CR")
    if len(text) < 8:
        raise FrameError(f"truncated frame: {len(text)} characters, no CRC and length")
    crc_text, length_text, body = text[:4], text[4:8], text[8:]
    if not set(crc_text + length_text) <= _HEX:
        raise FrameError(f"bad CRC or length field {text[:8]!r}: want 8 hex digits")
    length = int(length_text, 16)
    if length > len(body):
        raise FrameError(f"truncated frame: length field says {length} characters, "
                         f"{len(body)} arrived")
    if length != len(body):
        raise FrameError(f"bad length: field says {length} characters, frame has {len(body)}")
    computed = crc16(body.encode("latin-1"))
    if int(crc_text, 16) != computed:
        raise FrameError(f"bad CRC: frame says {crc_text.upper()}, content gives {computed:04X}")
    return _parse_body(body, key)


def _parse_body(body: str, key: bytes | None) -> Frame:
    head = _HEAD.match(body)
    if head is None:
        quoted = re.match(r'"\*?([^"]*)"', body)
        if quoted is not None and quoted[1] not in _IDS:
            raise FrameError(f"unknown id {quoted[1]!r}")
        raise FrameError(f"malformed header in {body[:40]!r}")
    frame_id = head["id"]
    if frame_id not in _IDS:
        raise FrameError(f"unknown id {frame_id!r}")
    encrypted = head["star"] is not None
    rest = body[head.end():]
    if encrypted:
        if key is None:
            raise FrameError(f"encrypted {frame_id} frame and no key for account "
                             f"{head['account'] or '-'}")
        rest = _decrypt(rest, key)
    tail = _CLEAR_TAIL.fullmatch(rest)
    if tail is None:
        hint = " (wrong key?)" if encrypted else ""
        raise FrameError(f"malformed data in {rest[:60]!r}{hint}")
    stamp = tail["stamp"]
    return Frame(
        id=frame_id,  # type: ignore[arg-type]  # checked against _IDS above
        sequence=int(head["seq"]),
        account=head["account"],
        prefix=head["prefix"] if head["prefix"] is not None else "0",
        receiver=head["receiver"] if head["receiver"] is not None else head["receiver2"],
        data=tail["data"],
        timestamp=None if stamp is None else parse_timestamp(stamp),
        encrypted=encrypted,
        extended=tuple(_EXTENDED.findall(tail["extended"])),
    )


def _decrypt(cipher_hex: str, key: bytes) -> str:
    """`<data>]<x-data><timestamp>` from the hex after `[`, without the pad."""
    if not cipher_hex or not set(cipher_hex) <= _HEX or len(cipher_hex) % (2 * _BLOCK):
        raise FrameError("encrypted data must be hex of whole 16-byte blocks, "
                         f"got {len(cipher_hex)} characters")
    decryptor = _cipher(key).decryptor()
    plain = (decryptor.update(bytes.fromhex(cipher_hex)) + decryptor.finalize())
    text = plain.decode("latin-1")
    if "|" in text:
        return text.split("|", 1)[1]
    if "]" in text:  # pysiaalarm's answers: a pad of "0"s and no "|"
        return text[text.index("]"):]
    raise FrameError("cannot decrypt: no `|` or `]` in the plaintext (wrong key?)")
