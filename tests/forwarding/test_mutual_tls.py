"""Mutual TLS end to end: the channel and the simulator with a throwaway CA."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.core.clock import SystemClock
from gateway.forwarding.channel import DeliveryError, Receipt
from gateway.forwarding.config import ClientTlsConfig
from gateway.forwarding.http_channel import PoliceHttpChannel
from simulators.police import PoliceSimulator, ServerTls
from tests.forwarding.certs import Pki, make_pki
from tests.forwarding.support import SECRET, forward_job, police_channel, police_config


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def police_mtls(pki: Pki) -> AsyncIterator[PoliceSimulator]:
    async with PoliceSimulator(SECRET, tls=ServerTls(pki.server_cert, pki.server_key,
                                                     client_ca_file=pki.ca)) as simulator:
        yield simulator


async def _deliver(url: str, tls: ClientTlsConfig, alert_id: str) -> Receipt:
    async with police_channel(url, tls=tls) as channel:
        return await channel.deliver(forward_job(alert_id, 1))


async def test_client_with_certificate_delivers(pki: Pki, police_mtls: PoliceSimulator) -> None:
    assert police_mtls.url.startswith("https://127.0.0.1:")
    tls = ClientTlsConfig(ca_file=pki.ca, cert_file=pki.client_cert, key_file=pki.client_key)
    receipt = await _deliver(police_mtls.url, tls, "a-4001")
    assert receipt.receipt_id == "police-000001"
    assert [r.idempotency_key for r in police_mtls.received] == ["a-4001:1"]


async def test_client_without_certificate_is_refused(
        pki: Pki, police_mtls: PoliceSimulator) -> None:
    with pytest.raises(DeliveryError, match=r"^(connection reset by peer|TLS error)"):
        await _deliver(police_mtls.url, ClientTlsConfig(ca_file=pki.ca), "a-4002")
    assert police_mtls.received == []


async def test_client_certificate_from_another_ca_is_refused(
        pki: Pki, police_mtls: PoliceSimulator) -> None:
    tls = ClientTlsConfig(ca_file=pki.ca, cert_file=pki.rogue_client_cert,
                          key_file=pki.rogue_client_key)
    with pytest.raises(DeliveryError, match=r"^(connection reset by peer|TLS error)"):
        await _deliver(police_mtls.url, tls, "a-4003")
    assert police_mtls.received == []


async def test_server_from_unknown_ca_is_not_trusted(
        pki: Pki, police_mtls: PoliceSimulator) -> None:
    tls = ClientTlsConfig(cert_file=pki.client_cert, key_file=pki.client_key)
    with pytest.raises(DeliveryError, match=r"^TLS certificate not trusted"):
        await _deliver(police_mtls.url, tls, "a-4004")
    unverified = tls.model_copy(update={"verify": False})
    assert (await _deliver(police_mtls.url, unverified, "a-4004")).receipt_id is not None


def test_missing_client_key_file_fails_at_construction(pki: Pki, tmp_path: Path) -> None:
    absent = tmp_path / "absent.key"
    tls = ClientTlsConfig(ca_file=pki.ca, cert_file=pki.client_cert, key_file=absent)
    with pytest.raises(OSError, match=rf"tls\.key_file {re.escape(str(absent))}: "
                                      "No such file or directory$"):
        PoliceHttpChannel(police_config("https://127.0.0.1:1/api/alerts", tls=tls),
                          SystemClock())


def test_missing_ca_file_is_named_at_construction(tmp_path: Path) -> None:
    absent = tmp_path / "absent-ca.pem"
    tls = ClientTlsConfig(ca_file=absent)
    with pytest.raises(OSError, match=rf"^tls\.ca_file {re.escape(str(absent))}: "
                                      "No such file or directory$"):
        PoliceHttpChannel(police_config("https://127.0.0.1:1/api/alerts", tls=tls),
                          SystemClock())
