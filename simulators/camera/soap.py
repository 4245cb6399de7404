"""SOAP 1.2 envelopes and faults as the simulated cameras write and read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSA = "http://www.w3.org/2005/08/addressing"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
WSTOP = "http://docs.oasis-open.org/wsn/t-1"
TNS1 = "http://www.onvif.org/ver10/topics"
TER = "http://www.onvif.org/ver10/error"

NAMESPACES = {
    "env": ENV, "wsse": WSSE, "wsu": WSU, "wsa": WSA, "tds": TDS, "trt": TRT, "tev": TEV,
    "tt": TT, "wsnt": WSNT, "wstop": WSTOP, "tns1": TNS1, "ter": TER,
}

CONTENT_TYPE = "application/soap+xml; charset=utf-8"

_XMLNS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SoapFault(Exception):
    """A fault to answer with: `code` is `Sender` or `Receiver`, `subcode` an ONVIF
    error such as `ter:NotAuthorized`."""

    def __init__(self, code: str, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason

    @property
    def http_status(self) -> int:
        return 400 if self.code == "Sender" else 500


@dataclass(frozen=True)
class SoapRequest:
    """A parsed request: the operation (local name of the body's first element)."""

    operation: str
    namespace: str
    body: Any
    header: Any

    def text(self, path: str) -> str | None:
        """Text of the first element at `path` (XPath relative to the operation element)."""
        found = self.body.find(path, NAMESPACES)
        if found is None or found.text is None:
            return None
        text: str = found.text.strip()
        return text

    def header_text(self, path: str) -> str | None:
        if self.header is None:
            return None
        found = self.header.find(path, NAMESPACES)
        if found is None or found.text is None:
            return None
        text: str = found.text.strip()
        return text


def parse_request(payload: bytes) -> SoapRequest:
    """Parse a SOAP envelope; a malformed one is the sender's fault."""
    try:
        root = etree.fromstring(payload, _PARSER)
    except etree.XMLSyntaxError as err:
        raise SoapFault("Sender", "ter:WellFormed", f"malformed XML: {err}") from None
    if etree.QName(root).localname != "Envelope":
        raise SoapFault("Sender", "ter:WellFormed", "not a SOAP envelope")
    body = next((c for c in root if etree.QName(c).localname == "Body"), None)
    header = next((c for c in root if etree.QName(c).localname == "Header"), None)
    if body is None or len(body) == 0:
        raise SoapFault("Sender", "ter:WellFormed", "empty SOAP body")
    operation = body[0]
    qname = etree.QName(operation)
    return SoapRequest(qname.localname, qname.namespace or "", operation, header)


def envelope(body: str, header: str = "") -> str:
    """A SOAP 1.2 envelope declaring every namespace the simulator uses."""
    head = f"<env:Header>{header}</env:Header>" if header else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope {_XMLNS}>{head}'
            f"<env:Body>{body}</env:Body></env:Envelope>")


def undeclared_prefix(body: str) -> str:
    """`body` with an element whose namespace prefix no element declares, as some camera
    firmware sends: not a well-formed namespaced XML document any more."""
    end = body.find(">") + 1
    return f"{body[:end]}<vnd:Extension>1</vnd:Extension>{body[end:]}"


def fault_envelope(fault: SoapFault) -> str:
    body = (f"<env:Fault><env:Code><env:Value>env:{fault.code}</env:Value>"
            f"<env:Subcode><env:Value>{escape(fault.subcode)}</env:Value></env:Subcode>"
            f"</env:Code><env:Reason><env:Text xml:lang=\"en\">{escape(fault.reason)}"
            f"</env:Text></env:Reason></env:Fault>")
    return envelope(body)


def xml_time(unix_seconds: float) -> str:
    """xs:dateTime in UTC, seconds precision, with `Z`."""
    return datetime.fromtimestamp(unix_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def simple_items(items: dict[str, str]) -> str:
    return "".join(f"<tt:SimpleItem Name={quoteattr(name)} Value={quoteattr(value)}/>"
                   for name, value in items.items())


def text(value: object) -> str:
    return escape(str(value))
