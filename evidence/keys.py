"""The organisation's signing key: ECDSA P-256, one PEM file readable by its owner only.

Signatures are over a SHA-256 digest (prehashed, so a 1 GB file is hashed once, as it is read)
and DER-encoded, so `openssl dgst -sha256 -verify public.pem -signature FILE.sig FILE` checks
them. The private key is never logged or printed; `citewatch keys show` gives the public key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

CURVE = ec.SECP256R1()
SIGNATURE = ec.ECDSA(Prehashed(hashes.SHA256()))


class SigningKeyError(Exception):
    """No usable signing key: missing, unreadable, or not an ECDSA P-256 private key."""


@dataclass(frozen=True)
class PublicKey:
    """A public key as the WACZ signing spec and openssl want it."""

    key: ec.EllipticCurvePublicKey

    @property
    def spki_der(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def base64(self) -> str:
        """SubjectPublicKeyInfo, DER, base64: the WACZ `publicKey` field."""
        return base64.b64encode(self.spki_der).decode("ascii")

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the SubjectPublicKeyInfo, hex: names the key in reports and the index."""
        return hashlib.sha256(self.spki_der).hexdigest()

    def verify(self, signature_b64: str, sha256: bytes) -> bool:
        """Whether the signature (base64 DER) is this key's over the digest."""
        try:
            self.key.verify(base64.b64decode(signature_b64, validate=True), sha256, SIGNATURE)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def from_base64(cls, text: str) -> PublicKey:
        """A `publicKey` field; ValueError if it is not an ECDSA public key."""
        try:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ValueError("not a public key") from exc
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("not an ECDSA public key")
        return cls(key)


@dataclass(frozen=True)
class SigningKey:
    """The private key and what it signs with."""

    key: ec.EllipticCurvePrivateKey
    path: Path

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    def sign(self, sha256: bytes) -> str:
        """Signature of a SHA-256 digest: DER, base64."""
        return base64.b64encode(self.key.sign(sha256, SIGNATURE)).decode("ascii")


def create_key(path: Path) -> SigningKey:
    """A new key at `path` (mode 0600, its directory 0700); never replaces an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(CURVE)
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SigningKeyError(f"{path} already exists: a signing key is never replaced") from exc
    except OSError as exc:
        raise SigningKeyError(f"cannot create {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise SigningKeyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return SigningKey(key, path)


def load_key(path: Path) -> SigningKey:
    """The key at `path`, or SigningKeyError saying in one line what is wrong (never the key)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"no signing key at {path}: create one with `citewatch keys create`"
        ) from exc
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != CURVE.name:
        raise SigningKeyError(f"{path} is not an ECDSA P-256 key")
    return SigningKey(key, path)
