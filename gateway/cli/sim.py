"""`campusgw sim ...`: the simulated devices and peers, each with its own command. They are
registered only when `sim` is asked for: they bring OpenCV and the simulators' servers,
which every other command would pay for at start."""

from __future__ import annotations

import typer

sim_app = typer.Typer(help="Simulated devices and peers that speak the real protocols.",
                      no_args_is_help=True)


def register_simulators() -> None:
    from gateway.demo.mqtt_devices import command as mqtt_devices
    from simulators.camera.cli import command as camera
    from simulators.modbus import fire_panel_command, gate_controller_command
    from simulators.police.cli import command as police

    sim_app.command("police", help="Police linkage receiver: verifies, deduplicates, "
                                   "fails on command.")(police)
    sim_app.command("mqtt-devices", help="The site's panic buttons and gate sensors "
                                         "over MQTT.")(mqtt_devices)
    sim_app.command("fire-panel", help="A Modbus TCP fire alarm control panel.")(
        fire_panel_command)
    sim_app.command("gate-controller", help="A Modbus TCP gate, barrier and bollard "
                                            "controller.")(gate_controller_command)
    sim_app.command("camera", help="ONVIF cameras with rendered scenes.")(camera)
