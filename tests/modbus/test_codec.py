"""Decoding corner cases and what counts as a change."""

from __future__ import annotations

from adapters.modbus.codec import changed, register_decoder
from adapters.modbus.points import RegisterPoint, Table


def test_unknown_enumeration_codes_are_named_not_dropped() -> None:
    decode = register_decoder(RegisterPoint(point="z", table=Table.INPUT_REGISTER, address=0,
                                            enum={0: "normal", 2: "fire"}))
    assert decode([2]) == "fire"
    assert decode([7]) == "unknown_7"


def test_scaled_values_lose_no_precision_and_carry_no_binary_noise() -> None:
    decode = register_decoder(RegisterPoint(point="t", table=Table.INPUT_REGISTER, address=0,
                                            type="uint32", scale=0.001))
    assert decode([0x0001, 0xE240]) == 123.456
    tenth = register_decoder(RegisterPoint(point="t", table=Table.INPUT_REGISTER, address=0,
                                           type="int16", scale=0.1))
    assert tenth([235]) == 23.5 and tenth([0xFF9C]) == -10.0


def test_changes_respect_deadband_and_types() -> None:
    assert not changed(27.3, 27.32, 0.05)
    assert changed(27.3, 27.36, 0.05)
    assert changed(1, True, 0.0)  # a bool is not the number 1
    assert changed(None, False, 0.0)
    assert not changed("fire", "fire", 0.0)
