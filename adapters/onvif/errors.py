"""What can go wrong talking to a camera, in words an operator understands."""

from __future__ import annotations


class CameraError(Exception):
    """A camera did not do what was asked. `code` is a short fault code for events; every
    code is listed in docs/onvif.md (a plain `CameraError` counts as an unreadable answer)."""

    code = "bad_answer"


class CameraUnreachable(CameraError):
    """No answer: connection refused, reset, timed out, or HTTP-level failure."""

    code = "unreachable"


class CameraAuthError(CameraError):
    """The camera refused the credentials (or the clocks are too far apart)."""

    code = "auth_failed"


class CameraFault(CameraError):
    """The camera answered with a SOAP fault."""

    code = "soap_fault"


class CorruptSnapshot(CameraError):
    """The snapshot URL answered with something that is not a whole JPEG."""

    code = "corrupt_snapshot"


class SubscriptionLost(CameraError):
    """The camera no longer knows our event subscription (reboot, expiry). The message is
    one short line; `detail` is what the camera said (its fault, for debug logging)."""

    code = "subscription_lost"

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class CameraBadAnswer(CameraError):
    """The camera answered with something that is not a readable SOAP message."""

    code = "bad_answer"
