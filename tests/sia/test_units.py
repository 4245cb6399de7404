"""The receiver's pieces without sockets: code meanings, stream framing, repeats, config."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.base import AdapterContext
from adapters.registry import DEVICE_TYPES, AdapterSettings, adapter_factories, reference_errors
from adapters.sia import SiaAdapter
from adapters.sia.codes import contact_id_meaning, sia_meaning
from adapters.sia.config import PanelZone, SiaPanelConfig, SiaSettings
from adapters.sia.framing import FrameSplitter, Oversized
from adapters.sia.repeats import Repeats
from gateway.core.bus import EventBus
from gateway.core.clock import VirtualClock
from tests.sia.rig import panel


def test_sia_and_contact_id_codes_and_their_restores() -> None:
    for code, point, value in (("PA", "pressed", True), ("PH", "pressed", False),
                               ("FA", "fire", True), ("FH", "fire", False),
                               ("BA", "intrusion", True), ("BH", "intrusion", False),
                               ("TA", "tamper", True), ("TR", "tamper", False),
                               ("YS", "trouble", True), ("YK", "trouble", False),
                               ("CL", "armed", True), ("OP", "armed", False)):
        meaning = sia_meaning(code)
        assert meaning is not None and (meaning.point, meaning.value) == (point, value), code
    assert sia_meaning("QQ") is None
    for event, point in ((120, "pressed"), (110, "fire"), (130, "intrusion"), (137, "tamper"),
                         (131, "intrusion"), (151, "gas_alarm"), (350, "trouble"),
                         (383, "tamper"), (302, "battery_low")):
        alarm, restore = contact_id_meaning(1, event), contact_id_meaning(3, event)
        assert alarm is not None and restore is not None
        assert (alarm.point, alarm.value, restore.value) == (point, True, False), event
    closing = contact_id_meaning(3, 401)
    assert closing is not None and (closing.point, closing.value) == ("armed", True)
    assert contact_id_meaning(1, 999) is None
    panic = contact_id_meaning(3, 120)
    assert panic is not None and panic.urgent  # a restore keeps its alarm's lane


def test_the_splitter_cuts_at_cr_and_drops_oversized_frames() -> None:
    splitter = FrameSplitter(64)
    assert splitter.feed(b"\nAB") == []
    assert splitter.feed(b"CD\r\nEF\r\nG") == [b"\nABCD\r", b"\nEF\r"]
    assert splitter.pending == b"G"
    assert splitter.feed(b"H" * 100) == []
    assert splitter.feed(b"I" * 100 + b"\r\nok\r") == [Oversized(b"\nG" + b"H" * 62, 203),
                                                      b"\nok\r"]
    assert splitter.pending == b""


def test_repeats_are_remembered_for_the_window_only() -> None:
    repeats = Repeats(window_s=10)
    repeats.remember("1234", 7, "PA", now=100.0)
    assert repeats.seen("1234", 7, "PA", now=105.0)
    assert not repeats.seen("1234", 7, "FA", now=105.0)
    assert not repeats.seen("5678", 7, "PA", now=105.0)
    assert not repeats.seen("1234", 7, "PA", now=111.0)


def test_config_is_registered_and_checked() -> None:
    assert "sia_panel" in DEVICE_TYPES
    settings = AdapterSettings.model_validate({"sia": {"port": 12300, "transport": "both"}})
    assert settings.sia.port == 12300 and settings.sia.window_before_s == 40
    devices = [panel("ap-a", "1234"), panel("ap-b", "1234")]
    assert reference_errors(settings, devices) == [
        (("devices", 1, "account"), "account 1234 is already panel ap-a's")]
    keyed = panel(key=b"k" * 16)
    assert keyed.aes_key() == b"k" * 16 and "6b6b" not in repr(keyed)
    for fields, why in (({"account": "12"}, "account"), ({"key": "abcd"}, "16, 24 or 32"),
                        ({"zones": {5: {"name": "A 301"}}}, "name"),
                        ({"zones": {5: {"name": "a"}, 6: {"name": "a"}}}, "used twice"),
                        ({"protocol": "XSIA"}, "protocol")):
        with pytest.raises(ValidationError, match=why):
            panel(**fields)


def test_every_field_is_described() -> None:
    for model in (SiaSettings, SiaPanelConfig, PanelZone):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


def test_the_registry_builds_one_receiver_for_the_sia_panels() -> None:
    ctx = AdapterContext("school-1", VirtualClock(), EventBus())
    devices = [panel("ap-a", "1234"), panel("ap-b", "5678")]
    built = [adapter for factory in adapter_factories(AdapterSettings())
             for adapter in factory(devices, ctx)]
    assert len(built) == 1 and isinstance(built[0], SiaAdapter)
    assert [p.id for p in built[0].panels] == ["ap-a", "ap-b"]
    assert built[0].health().status == "degraded"  # not listening before run()
    assert [a for factory in adapter_factories(AdapterSettings())
            for a in factory([], ctx)] == []
