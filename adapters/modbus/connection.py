"""One connection per Modbus endpoint (a TCP address or a serial line), shared by the
devices behind it under a lock, with a timeout on every wait."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from adapters.modbus.config import SerialConnection, TcpConnection
from adapters.modbus.points import Table

log = logging.getLogger(__name__)


_complaints: ContextVar[list[str] | None] = ContextVar("modbus_complaints", default=None)
"""While a connection hands received bytes to pymodbus: what pymodbus says is wrong with them."""


class _LibraryNoiseFilter(logging.Filter):
    """pymodbus warns on every failed connect, and says at WARNING or ERROR what is wrong
    with every garbled answer. The poller logs a device that goes offline or faulty once
    per episode with its reason, so: failed connects are dropped, and a complaint about
    received bytes goes to the connection receiving them, which counts it."""

    NOISE = ("Failed to connect", "Repeating....")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(self.NOISE):
            return False
        complaints = _complaints.get()
        if complaints is None or record.levelno < logging.WARNING:
            return True
        complaints.append(message)
        return False


logging.getLogger("pymodbus.logging").addFilter(_LibraryNoiseFilter())

EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
GATEWAY_UNREACHABLE = (10, 11)
"""Exception codes by which a serial gateway says the device behind it is silent."""


class ModbusError(Exception):
    """A read that produced no usable values."""


class DeviceUnreachable(ModbusError):
    """No answer: connection refused or lost, a timeout, or a gateway's "target failed"."""


class GarbledAnswer(DeviceUnreachable):
    """An answer that is not Modbus (another protocol, a broken frame, another
    transaction's answer): counted as malformed, and the connection is dropped."""


class _Garbled(ModbusException):
    """Fails the request waiting for the answer that came garbled."""


class ExceptionResponse(ModbusError):
    """The device answered with a Modbus exception code."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(describe_exception(code))


class MalformedResponse(ModbusError):
    """An answer that does not fit the request (wrong length)."""


def describe_exception(code: int) -> str:
    return f"modbus exception {code} ({EXCEPTION_NAMES.get(code, 'unknown')})"


Endpoint = tuple[str, ...]
"""Identity of an endpoint: ("tcp", host, port) or ("rtu", port)."""


def endpoint_of(connection: TcpConnection | SerialConnection) -> Endpoint:
    if isinstance(connection, TcpConnection):
        return ("tcp", connection.host, str(connection.port))
    return ("rtu", connection.port)


class EndpointConnection:
    """The client of one endpoint. `read()` connects when needed, holds the lock for
    exactly one request, and drops the connection after a timeout so that a late answer
    can never be taken for the next request's."""

    def __init__(self, connection: TcpConnection | SerialConnection,
                 connect_timeout_s: float = 2.0) -> None:
        self.connection = connection
        self.connect_timeout_s = connect_timeout_s
        self.name = ":".join(endpoint_of(connection))
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._lock = asyncio.Lock()
        self._in_flight = False
        self.requests = 0
        self.connects = 0
        self.timeouts = 0
        self.garbled = 0
        """Received chunks that were not Modbus."""

    def _new_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        # pymodbus's own timeout is longer than ours, so ours always fires first; it
        # neither retries nor reconnects by itself: the poller's backoff does that.
        timeout = self.connect_timeout_s + 1.0
        c = self.connection
        client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if isinstance(c, TcpConnection):
            client = AsyncModbusTcpClient(c.host, port=c.port, timeout=timeout, retries=0,
                                          reconnect_delay=0, name=self.name)
        else:
            client = AsyncModbusSerialClient(c.port, framer=FramerType.RTU,
                                             baudrate=c.baudrate, bytesize=c.bytesize,
                                             parity=c.parity, stopbits=c.stopbits,
                                             timeout=timeout, retries=0, reconnect_delay=0,
                                             name=self.name)
        client.ctx.trace_connect = lambda connected: self._on_connect(client, connected)
        self._guard_receiving(client)
        return client

    def _guard_receiving(self, client: AsyncModbusTcpClient | AsyncModbusSerialClient) -> None:
        """Bytes that pymodbus cannot make an answer of fail the request waiting for them
        at once, with pymodbus's own words as the reason. Without this, an undecodable frame
        raises out of the transport's callback (the event loop logs it with a traceback
        and drops the connection) and a foreign frame is logged at ERROR and waited past."""
        receive = client.ctx.callback_data

        def received(data: bytes, addr: tuple[str, int] | None = None) -> int:
            complaints: list[str] = []
            token = _complaints.set(complaints)
            try:
                used: int = receive(data, addr)
            except ModbusException as exc:
                complaints.append(str(exc))
                used = len(data)
            finally:
                _complaints.reset(token)
            if complaints:
                self._garbled(client, complaints[-1])
            return used

        client.ctx.callback_data = received  # type: ignore[method-assign]

    def _garbled(self, client: AsyncModbusTcpClient | AsyncModbusSerialClient,
                 complaint: str) -> None:
        self.garbled += 1
        pending = client.ctx.response_future
        if self._in_flight and client is self._client and not pending.done():
            pending.set_exception(_Garbled(complaint))

    def _on_connect(self, client: AsyncModbusTcpClient | AsyncModbusSerialClient,
                    connected: bool) -> None:
        """A connection lost mid-request fails that request now, not at its timeout
        (pymodbus would leave it waiting)."""
        if connected or not self._in_flight or client is not self._client:
            return
        pending = client.ctx.response_future
        if not pending.done():
            pending.set_exception(ConnectionException("connection lost"))

    async def _connected(self, timeout_s: float) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        if self._client is not None and self._client.connected:
            return self._client
        self.close()
        client = self._new_client()
        self._client = client
        self.connects += 1
        try:
            async with asyncio.timeout(min(timeout_s, self.connect_timeout_s)):
                ok = await client.connect()
        except (TimeoutError, OSError, ModbusException) as exc:
            self.close()
            raise DeviceUnreachable(f"cannot connect to {self.name}: {_reason(exc)}") from None
        if not ok:
            self.close()
            raise DeviceUnreachable(f"cannot connect to {self.name}")
        return client

    async def read(self, table: Table, address: int, count: int, unit: int,
                   timeout_s: float) -> list[int] | list[bool]:
        """`count` values of `table` from `address` of unit `unit`."""
        async with self._lock:
            client = await self._connected(timeout_s)
            self.requests += 1
            self._in_flight = True
            try:
                async with asyncio.timeout(timeout_s):
                    response = await _request(client, table, address, count, unit)
            except TimeoutError:
                self.timeouts += 1
                self.close()
                raise DeviceUnreachable(f"no answer within {timeout_s:g} s") from None
            except _Garbled as exc:
                self.close()
                raise GarbledAnswer(f"not a Modbus answer: {exc.string}") from None
            except (ModbusException, OSError) as exc:
                self.close()
                raise DeviceUnreachable(_reason(exc)) from None
            finally:
                self._in_flight = False
        return _values(response, table, count)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


async def _request(client: AsyncModbusTcpClient | AsyncModbusSerialClient, table: Table,
                   address: int, count: int, unit: int) -> ModbusPDU:
    call: Any
    if table is Table.COIL:
        call = client.read_coils
    elif table is Table.DISCRETE_INPUT:
        call = client.read_discrete_inputs
    elif table is Table.HOLDING_REGISTER:
        call = client.read_holding_registers
    else:
        call = client.read_input_registers
    response: ModbusPDU = await call(address, count=count, device_id=unit)
    return response


def _values(response: ModbusPDU, table: Table, count: int) -> list[int] | list[bool]:
    if response.isError():
        code = int(getattr(response, "exception_code", 0))
        if code in GATEWAY_UNREACHABLE:
            raise DeviceUnreachable(describe_exception(code))
        raise ExceptionResponse(code)
    values: list[int] | list[bool]
    if table.is_bits:
        values = list(response.bits)
        if len(values) < count or len(values) > count + 7:
            raise MalformedResponse(f"expected {count} bits, got {len(values)}")
        return values[:count]
    values = list(response.registers)
    if len(values) != count:
        raise MalformedResponse(f"expected {count} registers, got {len(values)}")
    return values


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
