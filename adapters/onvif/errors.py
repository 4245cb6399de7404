"""What can go wrong talking to a camera, in words an operator understands."""

from __future__ import annotations


class CameraError(Exception):
    """A camera did not do what was asked. `code` is a short fault code for events."""

    code = "camera_error"


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
    """The camera no longer knows our event subscription (reboot, expiry)."""

    code = "subscription_lost"


class CameraBadAnswer(CameraError):
    """The camera answered with something that is not a readable SOAP message."""

    code = "bad_answer"
