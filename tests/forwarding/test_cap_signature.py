"""Signed CAP messages (XML-DSig, enveloped in `alert`): they verify with signxml's own
verifier and the certificate, and with capvalidator's signature check; they stay valid
CAP 1.2; any change to the message, or another certificate, fails verification."""

from __future__ import annotations

import re
from pathlib import Path

import capvalidator
import pytest
from cryptography.exceptions import InvalidSignature
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest
from signxml.verifier import XMLVerifier

from gateway.app.config import load_config
from gateway.core.alerts import AlertState, Closure
from gateway.forwarding.cap import AreaShape
from gateway.forwarding.cap_channel import CapChannelConfig
from gateway.forwarding.cap_signature import CapSignatureConfig, CapSigner
from tests.forwarding.cap_support import (
    NS,
    CapReceiver,
    cap_channel,
    cap_job,
    encode,
    lxml_reading,
    revision_of,
    text,
    valid,
)
from tests.forwarding.certs import SigningIdentity, make_signing_identity

DSIG = "http://www.w3.org/2000/09/xmldsig#"
AREA = AreaShape((31.2304, 121.4737), ((31.23, 121.47), (31.24, 121.47), (31.24, 121.48)))


@pytest.fixture(scope="module", params=["rsa", "ec"])
def identity(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return make_signing_identity(tmp_path_factory.mktemp("signer"), algorithm=request.param)


def signer(identity: SigningIdentity) -> CapSigner:
    return CapSigner(CapSignatureConfig(key=identity.key, certificate=identity.certificate))


def verified(message: bytes, identity: SigningIdentity) -> etree._Element:
    """The signed content, as signxml's verifier returns it with this certificate."""
    result = XMLVerifier().verify(message, x509_cert=identity.certificate.read_text())
    assert not isinstance(result, list)
    return result.signed_xml


def test_a_signed_message_verifies_and_is_still_valid_cap(identity: SigningIdentity) -> None:
    plain = encode(revision_of(2, state=AlertState.ACKNOWLEDGED), area=AREA)
    signed = signer(identity).sign(plain)
    root = valid(signed)
    last = root[-1]
    assert last.tag == f"{{{DSIG}}}Signature"  # enveloped, the last child of alert
    assert last.xpath("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm",
                      namespaces={"ds": DSIG})[0] == f"{DSIG}enveloped-signature"
    assert lxml_reading(signed) == lxml_reading(plain)  # the CAP content is unchanged
    content = verified(signed, identity)
    assert text(content, "cap:identifier") == "campusgw:no7-middle:a-0001:2"
    assert len(content.xpath("cap:info", namespaces=NS)) == 2
    check = capvalidator.check_signature(signed)
    assert check.passed, check.message


@pytest.mark.parametrize(("before", "after"), [
    (b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>"),
    (b"<headline>", b"<headline>FALSE: "),
    (b"0.05</circle>", b"5</circle>"),
])
def test_a_tampered_message_fails_verification(identity: SigningIdentity, before: bytes,
                                               after: bytes) -> None:
    signed = signer(identity).sign(encode(revision_of(2), area=AREA))
    tampered = signed.replace(before, after, 1)
    assert tampered != signed
    valid(tampered)  # still CAP: only the signature tells
    with pytest.raises((InvalidSignature, InvalidDigest)):
        verified(tampered, identity)
    assert not capvalidator.check_signature(tampered).passed


def test_another_certificate_does_not_verify(identity: SigningIdentity,
                                             tmp_path: Path) -> None:
    signed = signer(identity).sign(encode(revision_of(1)))
    stranger = make_signing_identity(tmp_path, "stranger", identity.algorithm)
    with pytest.raises((InvalidSignature, InvalidCertificate)):
        verified(signed, stranger)


def test_a_certificate_of_another_key_or_a_missing_file_is_refused(
        identity: SigningIdentity, tmp_path: Path) -> None:
    stranger = make_signing_identity(tmp_path, "stranger", identity.algorithm)
    with pytest.raises(ValueError, match="is not the certificate of"):
        CapSigner(CapSignatureConfig(key=identity.key, certificate=stranger.certificate))
    (tmp_path / "broken.key").write_text("not a key")
    with pytest.raises(ValueError, match="cannot load"):
        CapSigner(CapSignatureConfig(key=tmp_path / "broken.key",
                                     certificate=identity.certificate))
    with pytest.raises(ValueError, match="no such file"):
        CapSignatureConfig(key=tmp_path / "gone.key", certificate=identity.certificate)


async def test_the_channel_delivers_signed_messages(identity: SigningIdentity,
                                                    receiver: CapReceiver) -> None:
    channel = cap_channel(receiver.url, signature=CapSignatureConfig(
        key=identity.key, certificate=identity.certificate))
    cancel = revision_of(3, state=AlertState.CLOSED, closure=Closure.FALSE_ALARM)
    try:
        await channel.deliver(cap_job(revision_of(1)))
        await channel.deliver(cap_job(cancel))
    finally:
        await channel.stop()
    bodies = list(receiver.taken.values())  # the HMAC covers the signed bytes
    for body in bodies:
        valid(body)
    assert [text(verified(body, identity), "cap:msgType") for body in bodies] == [
        "Alert", "Cancel"]


def test_config_file_names_key_and_certificate_relative_to_it(
        tmp_path: Path, identity: SigningIdentity) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "cap.key").write_bytes(identity.key.read_bytes())
    (keys / "cap.pem").write_bytes(identity.certificate.read_bytes())
    path = tmp_path / "gateway.yaml"
    path.write_text("""\
site: {id: s1, name: School One}
zones: [{id: gate, name: Main gate}]
channels:
  - type: cap
    id: cap
    url: https://cap.example/alerts
    secret: s
    sender: campusgw@school.example
    signature: {key: !path keys/cap.key, certificate: !path keys/cap.pem}
api: {token: t-long-enough-token}
""")
    [config] = load_config(path).channels
    assert isinstance(config, CapChannelConfig) and config.signature is not None
    assert config.signature.key == keys / "cap.key"
    verified(CapSigner(config.signature).sign(encode(revision_of(1))), identity)


def test_the_verification_in_linkage_doc_works(identity: SigningIdentity, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "linkage.md").read_text("utf-8")
    section = doc[doc.index("\n### Signed messages\n"):doc.index("\n## SIA DC-09\n")]
    [snippet] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    (tmp_path / "school-cap.pem").write_bytes(identity.certificate.read_bytes())
    monkeypatch.chdir(tmp_path)
    body = signer(identity).sign(encode(revision_of(1)))
    scope: dict[str, object] = {"body": body}
    exec(snippet, scope)  # the documented example, as written
    signed = scope["signed"]
    assert isinstance(signed, etree._Element)
    assert text(signed, "cap:msgType") == "Alert"
    scope = {"body": body.replace(b"<msgType>Alert", b"<msgType>Update")}
    with pytest.raises((InvalidSignature, InvalidDigest)):
        exec(snippet, scope)
