"""Runs ipycam's ONVIF/HTTP camera on 127.0.0.1 only (no streaming), with one still test
frame, until SIGTERM; with a discovery port, also ipycam's own WS-Discovery server, on
the group 239.255.255.250 and that port instead of 3702 (so that tests never meet a real
camera or each other). Run with ipycam's own venv:

    python ipycam_camera.py <port> <user> <password> [<discovery port>]
"""

import signal
import sys
import threading

import cv2
import numpy as np
from ipycam import CameraConfig, IPCamera, WSDiscoveryServer
from ipycam.camera import ReusableThreadingTCPServer
from ipycam.http import IPCameraHTTPHandler


def test_frame(width: int, height: int) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    for i in range(8):
        frame[:, i * width // 8:(i + 1) * width // 8] = (i * 32, 255 - i * 32, 128)
    cv2.putText(frame, "ipycam interop", (40, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 2,
                (255, 255, 255), 3)
    return frame


def main() -> None:
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    config = CameraConfig(name="ipycam interop", local_ip="127.0.0.1", onvif_port=port)
    config.set_credentials(user, password)
    camera = IPCamera(config)
    with camera._last_frame_lock:
        camera._last_frame = test_frame(config.main_width, config.main_height)
    IPCameraHTTPHandler.camera = camera
    server = ReusableThreadingTCPServer(("127.0.0.1", port), IPCameraHTTPHandler)
    discovery = None
    if len(sys.argv) > 4:
        WSDiscoveryServer.MULTICAST_PORT = int(sys.argv[4])
        discovery = WSDiscoveryServer(camera.onvif)
        discovery.start()

    def stop(*_: object) -> None:
        if discovery is not None:
            discovery.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    server.serve_forever()
    server.server_close()
    if discovery is not None:
        discovery.join(timeout=5)


if __name__ == "__main__":
    main()
