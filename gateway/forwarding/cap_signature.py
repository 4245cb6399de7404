"""The optional XML signature (XML-DSig) of CAP messages: enveloped in the `alert` element,
as CAP 1.2 section 3.3.2.1 allows, with the school's key and certificate. See the "Signed
CAP messages" section of docs/linkage.md.

The XML stack (lxml, signxml: some 15 MB) is imported when a signer is made, so that a
gateway whose channels do not sign does not carry it."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import Field, SecretStr, field_validator

from gateway.core.config import StrictModel


class CapSignatureConfig(StrictModel):
    """The key and certificate a CAP channel signs its messages with."""

    key: Path = Field(description="PEM private key (RSA or EC); `!path file` names it "
                                  "relative to the config file.")
    certificate: Path = Field(description="PEM certificate of the key, sent in the "
                                          "signature's `KeyInfo` (a chain: the leaf first).")
    key_password: SecretStr | None = Field(default=None,
                                           description="Password of an encrypted key.")

    @field_validator("key", "certificate")
    @classmethod
    def _readable(cls, path: Path) -> Path:
        if not path.is_file():
            raise ValueError(f"no such file {path}")
        return path


class CapSigner:
    """Signs CAP messages with one key and certificate (loaded once: a wrong key, password
    or certificate stops the gateway at startup).

    RSA keys sign with RSA-SHA256, EC keys with ECDSA-SHA256; the digest is SHA-256 and
    the canonicalization exclusive XML C14N. The message is signed without indentation, so
    a receiver that drops blank text before verifying still verifies it.
    """

    def __init__(self, config: CapSignatureConfig) -> None:
        from signxml.algorithms import (  # imported here: see the module's docstring
            CanonicalizationMethod,
            DigestAlgorithm,
            SignatureMethod,
        )
        from signxml.signer import XMLSigner

        password = (config.key_password.get_secret_value().encode("utf-8")
                    if config.key_password is not None else None)
        try:
            key = serialization.load_pem_private_key(config.key.read_bytes(), password)
            chain = x509.load_pem_x509_certificates(config.certificate.read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"signature: cannot load {config.key} / {config.certificate}: "
                             f"{exc}") from exc
        if isinstance(key, rsa.RSAPrivateKey):
            method = SignatureMethod.RSA_SHA256
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            method = SignatureMethod.ECDSA_SHA256
        else:
            raise ValueError(f"signature: {config.key}: an RSA or EC key is needed")
        if chain[0].public_key() != key.public_key():
            raise ValueError(f"signature: {config.certificate} is not the certificate of "
                             f"{config.key}")
        self._key = key
        self._chain = [cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
                       for cert in chain]
        self._signer = XMLSigner(
            signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)

    def sign(self, message: bytes) -> bytes:
        """`message` (a CAP XML document) with a `ds:Signature` as the last child of
        `alert`; UTF-8 with an XML declaration."""
        from lxml import etree  # imported here: see the module's docstring

        root = etree.fromstring(message, etree.XMLParser(remove_blank_text=True))
        signed = self._signer.sign(root, key=self._key, cert=self._chain)
        return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))
