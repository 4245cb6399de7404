"""A simulated police linkage platform (公安联网报警平台) that receives signed alert documents.

See docs/linkage.md for the protocol it checks.
"""

from simulators.police.control import PoliceControl
from simulators.police.ledger import ReceivedAlert
from simulators.police.receiver import Mode
from simulators.police.server import PoliceSimulator, ServerTls

__all__ = ["Mode", "PoliceControl", "PoliceSimulator", "ReceivedAlert", "ServerTls"]
