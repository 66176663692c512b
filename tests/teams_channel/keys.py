"""RSA signing keys, JWT signing and the self-signed TLS certificate of the emulator.

Everything is generated in memory at start: no key material is checked in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _self_signed(key: rsa.RSAPrivateKey, common_name: str, *, tls: bool = False) -> x509.Certificate:
    """A self-signed certificate; for TLS it is also a CA so it can serve as its own trust anchor."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    if tls:
        builder = (
            builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_encipherment=True,
                    key_cert_sign=True,
                    content_commitment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
    return builder.sign(key, hashes.SHA256())


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class SigningKey:
    """An RS256 key as the Bot Framework publishes it: JWK with x5t/x5c and channel endorsements."""

    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: tuple[str, ...] = ()
    certificate: x509.Certificate | None = field(default=None, compare=False)

    @classmethod
    def generate(cls, kid: str, endorsements: tuple[str, ...] = ()) -> SigningKey:
        key = new_rsa_key()
        return cls(kid, key, endorsements, _self_signed(key, kid))

    @classmethod
    def from_pem(cls, pem: bytes, kid: str, endorsements: tuple[str, ...] = ()) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("channel key must be RSA")
        return cls(kid, key, endorsements, _self_signed(key, kid))

    @property
    def x5t(self) -> str | None:
        if self.certificate is None:
            return None
        return _b64url(hashlib.sha1(self.certificate.public_bytes(serialization.Encoding.DER)).digest())

    def jwk(self) -> dict[str, Any]:
        """The public JWK, in the shape of https://login.botframework.com/v1/.well-known/keys."""
        data: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        data.update({"kid": self.kid, "use": "sig"})
        if self.certificate is not None:
            data["x5t"] = self.x5t
            data["x5c"] = [base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()]
        if self.endorsements:
            data["endorsements"] = list(self.endorsements)
        return data

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, claims: Mapping[str, Any], *, kid: str | None = None) -> str:
        headers: dict[str, Any] = {"kid": kid if kid is not None else self.kid}
        if self.x5t and kid is None:
            headers["x5t"] = self.x5t
        return jwt.encode(dict(claims), self.private_key, algorithm="RS256", headers=headers)


@dataclass(frozen=True)
class TlsMaterial:
    """PEM files of the token endpoint's certificate; `ca_file` is what clients must trust."""

    cert_file: Path
    key_file: Path

    @property
    def ca_file(self) -> Path:
        return self.cert_file


def write_tls_material(directory: Path) -> TlsMaterial:
    """Create a self-signed cert for 127.0.0.1/localhost (MSAL only talks to https authorities)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = new_rsa_key()
    cert = _self_signed(key, "Teams channel emulator (127.0.0.1)", tls=True)
    cert_file = directory / "token-endpoint-cert.pem"
    key_file = directory / "token-endpoint-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return TlsMaterial(cert_file, key_file)
