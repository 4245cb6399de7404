"""A throwaway certificate authority for TLS tests, made with the openssl command."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import require_binary

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path


def make_pki(folder: Path) -> Pki:
    """A CA with a server certificate for 127.0.0.1 and a client certificate, plus a client
    certificate from a second, untrusted CA."""
    openssl = require_binary("openssl", "apt-get install openssl")
    ca = _authority(openssl, folder, "ca", "Campus Test CA")
    rogue = _authority(openssl, folder, "rogue-ca", "Rogue CA")
    _leaf(openssl, folder, "server", ca, "127.0.0.1",
          ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"])
    _leaf(openssl, folder, "client", ca, "campus-gateway", ["extendedKeyUsage=clientAuth"])
    _leaf(openssl, folder, "rogue-client", rogue, "campus-gateway",
          ["extendedKeyUsage=clientAuth"])
    return Pki(ca=folder / "ca.pem", server_cert=folder / "server.pem",
               server_key=folder / "server.key", client_cert=folder / "client.pem",
               client_key=folder / "client.key", rogue_client_cert=folder / "rogue-client.pem",
               rogue_client_key=folder / "rogue-client.key")


def _authority(openssl: str, folder: Path, name: str, common_name: str) -> str:
    _run([openssl, "req", "-x509", *_EC, "-keyout", str(folder / f"{name}.key"),
          "-out", str(folder / f"{name}.pem"), "-subj", f"/CN={common_name}",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    return name


def _leaf(openssl: str, folder: Path, name: str, authority: str, common_name: str,
          extensions: list[str]) -> None:
    added = [arg for ext in ["basicConstraints=critical,CA:FALSE", *extensions]
             for arg in ("-addext", ext)]
    _run([openssl, "req", "-x509", *_EC, "-CA", str(folder / f"{authority}.pem"),
          "-CAkey", str(folder / f"{authority}.key"), "-keyout", str(folder / f"{name}.key"),
          "-out", str(folder / f"{name}.pem"), "-subj", f"/CN={common_name}", *added])


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


@dataclass(frozen=True)
class SigningIdentity:
    key: Path
    certificate: Path
    algorithm: str


def make_signing_identity(folder: Path, name: str = "signer",
                          algorithm: str = "rsa") -> SigningIdentity:
    """A self-signed certificate for signing documents, with its `rsa` (2048-bit) or `ec`
    (P-256) key."""
    openssl = require_binary("openssl", "apt-get install openssl")
    new_key = (["-newkey", "rsa:2048"] if algorithm == "rsa"
               else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
    _run([openssl, "req", "-x509", *new_key, "-nodes", "-days", "2",
          "-keyout", str(folder / f"{name}.key"), "-out", str(folder / f"{name}.pem"),
          "-subj", f"/CN={name}", "-addext", "keyUsage=critical,digitalSignature"])
    return SigningIdentity(key=folder / f"{name}.key", certificate=folder / f"{name}.pem",
                           algorithm=algorithm)
