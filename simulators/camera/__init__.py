"""Simulated ONVIF cameras: real SOAP 1.2 over HTTP, snapshots of a rendered scene."""

from simulators.camera.cli import command
from simulators.camera.control import CameraControl, InjectedEvent
from simulators.camera.server import CameraSimulator

__all__ = ["CameraControl", "CameraSimulator", "InjectedEvent", "command"]
