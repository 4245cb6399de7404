"""The camera simulator against independent ONVIF clients: npm `onvif` and `node-onvif`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from simulators.camera import CameraSimulator
from simulators.camera.discovery import DiscoverySettings, endpoint_reference
from tests.onvif.harness import PASSWORD, free_udp_port
from tests.onvif.peers import PEERS, require_node_package

pytestmark = pytest.mark.interop


async def run_node(node: str, script: str, *args: str) -> tuple[int, str, str]:
    """Run a peer script (30 s at most); its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        node, str(PEERS / script), *args, cwd=PEERS,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30.0)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out.decode(), err.decode()


async def node_json(node: str, script: str, *args: str) -> Any:
    code, out, err = await run_node(node, script, *args)
    assert code == 0, f"{script} failed:\n{err}"
    return json.loads(out.strip().splitlines()[-1])


async def test_npm_onvif_connects_reads_media_and_pulls_events(sim: CameraSimulator) -> None:
    node = require_node_package("onvif")
    seen = await node_json(node, "agsh_onvif.js", "127.0.0.1", str(sim.port),
                          sim.device_service_path(1), "admin", PASSWORD,
                          f"{sim.base_url}/control/cam/1")
    operations = sim.cameras[1].operations
    for operation in ("GetSystemDateAndTime", "GetProfiles", "GetVideoSources",
                      "GetDeviceInformation", "GetSnapshotUri", "GetStreamUri",
                      "GetEventProperties", "CreatePullPointSubscription", "PullMessages",
                      "Renew", "Unsubscribe"):
        assert operations[operation] >= 1, operation
    assert operations["GetServices"] + operations["GetCapabilities"] >= 1
    assert sim.cameras[0].operations == {}
    assert seen["info"]["serialNumber"] == "SIM00001"
    assert seen["profiles"] == ["profile_main", "profile_sub"]
    assert seen["videoSources"] == ["vs0"]
    assert seen["snapshotUri"] == sim.snapshot_url(1)
    assert seen["streamUri"] == "rtsp://127.0.0.1:554/cam1/main"
    assert set(seen["eventTopics"]) == {"ruleEngine", "device"}
    assert seen["initialTopics"] == ["tns1:RuleEngine/CellMotionDetector/Motion",
                                     "tns1:RuleEngine/TamperDetector/Tamper"]
    assert seen["afterTopics"] == ["tns1:RuleEngine/CellMotionDetector/Motion"]
    assert seen["afterItems"] == [[{"Name": "IsMotion", "Value": True}]]
    assert sim.cameras[1].subscriptions == {}


async def test_npm_onvif_with_a_wrong_password_is_refused(sim: CameraSimulator) -> None:
    node = require_node_package("onvif")
    code, _, err = await run_node(node, "agsh_onvif.js", "127.0.0.1", str(sim.port),
                                  sim.device_service_path(0), "admin", "wrong",
                                  f"{sim.base_url}/control/cam/0")
    assert code == 1 and "wrong password" in err


async def test_node_onvif_reads_device_profiles_snapshot_and_event_properties(
        sim: CameraSimulator) -> None:
    node = require_node_package("node-onvif")
    seen = await node_json(node, "node_onvif.js", sim.device_service_url(0), "admin", PASSWORD)
    assert seen["info"]["Manufacturer"] == "CampusGW"
    assert seen["info"]["SerialNumber"] == "SIM00000"
    main, sub = seen["profiles"]
    assert main["token"] == "profile_main" and sub["token"] == "profile_sub"
    assert main["encoder"]["resolution"] == {"width": 640, "height": 360}
    assert main["snapshot"] == sim.snapshot_url(0)
    assert main["rtsp"] == "rtsp://127.0.0.1:554/cam0/main"
    assert seen["snapshot"]["type"] == "image/jpeg" and seen["snapshot"]["jpeg"] == "ffd8"
    async with httpx.AsyncClient() as http:
        direct = await http.get(sim.snapshot_url(0), auth=httpx.DigestAuth("admin", PASSWORD))
    assert abs(seen["snapshot"]["bytes"] - len(direct.content)) < len(direct.content) // 2
    assert seen["eventsService"] is True
    assert set(seen["eventProperties"]) == {"RuleEngine", "Device"}


async def test_npm_onvif_discovers_the_simulated_cameras() -> None:
    """npm `onvif`'s Discovery.probe(), its datagrams sent to a port of the test's own on
    loopback: it takes only a ProbeMatch inside ProbeMatches."""
    node = require_node_package("onvif")
    port = free_udp_port()
    simulator = CameraSimulator(cameras=2, password=PASSWORD,
                                discovery=DiscoverySettings(port=port))
    await simulator.start()
    try:
        seen = await node_json(node, "agsh_discovery.js", str(port), "1000")
    finally:
        await simulator.stop()
    assert seen["errors"] == []
    assert sorted(d["xaddrs"] for d in seen["devices"]) == [
        simulator.device_service_url(0), simulator.device_service_url(1)]
    first = next(d for d in seen["devices"]
                 if d["address"] == endpoint_reference(simulator.cameras[0]))
    assert first["types"] == "dn:NetworkVideoTransmitter tds:Device"
    assert "onvif://www.onvif.org/name/CampusGW%20camera%200" in first["scopes"].split()
    assert simulator.discovery is not None and simulator.discovery.probes == 1
