"""Runs ipycam's ONVIF/HTTP camera on 127.0.0.1 only (no WS-Discovery multicast, no
streaming), with one still test frame, until SIGTERM. Run with ipycam's own venv:

    python ipycam_camera.py <port> <user> <password>
"""

import signal
import sys
import threading

import cv2
import numpy as np
from ipycam import CameraConfig, IPCamera
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
    signal.signal(signal.SIGTERM,
                  lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print("ready", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
