"""Modbus device simulators: a fire alarm control panel and a gate controller, each a
pymodbus TCP server over a model of the device, with an HTTP control interface."""

from simulators.modbus.fire_panel import FirePanel, FirePanelSimulator, fire_panel_command
from simulators.modbus.gate_controller import (
    GateController,
    GateControllerSimulator,
    gate_controller_command,
)
from simulators.modbus.server import RegisterBank, SimulatedModbusServer

__all__ = [
    "FirePanel",
    "FirePanelSimulator",
    "GateController",
    "GateControllerSimulator",
    "RegisterBank",
    "SimulatedModbusServer",
    "fire_panel_command",
    "gate_controller_command",
]
