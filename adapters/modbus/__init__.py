"""Modbus adapter: fire alarm control panels (火灾报警控制器) and gate, barrier and
bollard controllers, over Modbus TCP or RTU.

`build_adapters` is the factory the registry calls: it picks the Modbus devices, plans
each device's block reads once, and makes one adapter per endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.base import Adapter, AdapterContext
from adapters.modbus.adapter import ModbusEndpointAdapter
from adapters.modbus.config import (
    FirePanelConfig,
    GateControllerConfig,
    ModbusDeviceBase,
    ModbusSettings,
    reference_errors,
    resolve_map,
)
from adapters.modbus.connection import Endpoint, EndpointConnection, endpoint_of
from adapters.modbus.planner import plan_reads
from adapters.modbus.poller import DevicePoller, PollTiming
from gateway.core.config import DeviceBase

__all__ = [
    "FirePanelConfig",
    "GateControllerConfig",
    "ModbusConfigError",
    "ModbusEndpointAdapter",
    "ModbusSettings",
    "build_adapters",
    "build_endpoint_adapters",
    "reference_errors",
]


class ModbusConfigError(ValueError):
    """Modbus device config that cannot be polled; `problems` name the devices."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def build_adapters(settings: ModbusSettings, devices: Sequence[DeviceBase],
                   ctx: AdapterContext) -> list[Adapter]:
    """One adapter per endpoint, for the Modbus devices among `devices`."""
    return list(build_endpoint_adapters(settings, devices, ctx))


def build_endpoint_adapters(settings: ModbusSettings, devices: Sequence[DeviceBase],
                            ctx: AdapterContext) -> list[ModbusEndpointAdapter]:
    """As `build_adapters`, typed as the concrete adapters (for tests and benchmarks)."""
    mine = [d for d in devices if isinstance(d, ModbusDeviceBase)]
    problems = [f"devices[{mine[loc[1]].id if isinstance(loc[1], int) else '?'}]: {message}"
                for loc, message in reference_errors(settings, mine)]
    problems += _endpoint_conflicts(mine)
    if problems:
        raise ModbusConfigError(problems)
    by_endpoint: dict[Endpoint, list[ModbusDeviceBase]] = {}
    for device in mine:
        by_endpoint.setdefault(endpoint_of(device.connection), []).append(device)
    adapters = []
    for group in by_endpoint.values():
        timings = [PollTiming.of(d, settings.polling) for d in group]
        connection = EndpointConnection(group[0].connection,
                                        connect_timeout_s=max(t.timeout_s for t in timings))
        pollers = []
        for device, timing in zip(group, timings, strict=True):
            points, readable = resolve_map(settings, device)
            blocks = plan_reads(points, readable, settings.max_gap_registers,
                                settings.max_gap_bits)
            pollers.append(DevicePoller(device, blocks, connection, timing, ctx))
        adapters.append(ModbusEndpointAdapter(connection, pollers))
    return adapters


def _endpoint_conflicts(devices: list[ModbusDeviceBase]) -> list[str]:
    """Devices sharing an endpoint must agree on its line settings and have unique ids."""
    problems = []
    first: dict[Endpoint, ModbusDeviceBase] = {}
    units: dict[tuple[Endpoint, int], str] = {}
    for device in devices:
        endpoint = endpoint_of(device.connection)
        other = first.setdefault(endpoint, device)
        if other.connection != device.connection:
            problems.append(f"devices[{device.id}]: connection settings differ from "
                            f"{other.id}'s on the same line {':'.join(endpoint)}")
        key = (endpoint, device.unit_id)
        if key in units:
            problems.append(f"devices[{device.id}]: unit id {device.unit_id} is already "
                            f"{units[key]}'s on {':'.join(endpoint)}")
        units.setdefault(key, device.id)
    return problems
