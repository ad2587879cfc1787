"""RFC 3161 trusted time-stamps: a token from a Time-Stamp Authority over a SHA-256 digest.

A token is the TSA's whole TimeStampResp as DER, what `openssl ts -reply` writes (a .tsr file),
so anyone can check it without citewatch: `openssl ts -verify -data FILE -in FILE.tsr
-CAfile ca.pem`. Replies are parsed and verified with rfc3161-client; the request is built with
asn1crypto, because rfc3161-client builds a request only from the whole message as `bytes`,
and a sealed WARC file is up to 1 GB, hashed once as it is written: we stamp its digest.
"""

from __future__ import annotations

import http.client
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import algos, cms, tsp
from cryptography import x509
from rfc3161_client import (
    PKIStatus,
    TimeStampResponse,
    TimeStampTokenInfo,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

SHA256 = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
GRANTED = (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)
MAX_REPLY = 2**20  # bytes; a reply with a chain of certificates is a few kB


class TimestampError(Exception):
    """A time-stamp could not be had or does not hold; str() is one line naming why."""


@dataclass(frozen=True)
class Stamp:
    """A token as the TSA gave it: DER TimeStampResp, its genTime (UTC), and where from."""

    token: bytes
    gen_time: datetime
    tsa_url: str


@dataclass(frozen=True)
class TokenCheck:
    """What a stored token proves: its time, whether its signature is trusted, whose it is."""

    gen_time: datetime
    trusted: bool  # the signature and certificate chain verified against the CA certificates
    tsa: str  # subject of the TSA's signing certificate (or its tsa field): a claim if untrusted


def request_stamp(url: str, sha256: bytes, *, timeout: float = 30.0) -> Stamp:
    """A token over this digest, with a random nonce and the TSA's certificate in it."""
    _require_digest(sha256)
    if not url.startswith(("http://", "https://")):
        raise TimestampError(f"TSA URL {url!r} is not http:// or https://")
    nonce = secrets.randbits(64)
    imprint = {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"})}
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint({**imprint, "hashed_message": sha256}),
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()
    body = _post(url, query, timeout)
    try:
        response = _decode(body)
    except ValueError as exc:
        raise TimestampError(f"TSA {url} answered with no time-stamp reply: {_line(exc)}") from exc
    if response.status not in GRANTED:
        raise TimestampError(f"TSA {url} refused the request: {_status(response)}")
    info = _info(response, f"TSA {url} answered with no token")
    if not _covers(info, sha256):
        raise TimestampError(f"TSA {url} stamped other data than it was sent")
    if info.nonce != nonce:
        raise TimestampError(f"TSA {url} did not echo the request's nonce")
    return Stamp(body, info.gen_time.astimezone(UTC), url)


def check_token(
    token: bytes, sha256: bytes, ca_certificates: Sequence[x509.Certificate] = ()
) -> TokenCheck:
    """Check a stored token against the digest of the data it should cover; its signature and
    certificate chain too when CA certificates are given (else `trusted` is False)."""
    _require_digest(sha256)
    try:
        response = _decode(token)
    except ValueError as exc:
        raise TimestampError(f"not a time-stamp token: {_line(exc)}") from exc
    if response.status not in GRANTED:
        raise TimestampError(f"not a time-stamp token: {_status(response)}")
    info = _info(response, "not a time-stamp token")
    if not _covers(info, sha256):
        raise TimestampError("token is for other data")
    if ca_certificates:
        # Only the CA certificates go in: rfc3161-client puts roots *and* intermediates in the
        # trust store, so the token's own certificates must not. OpenSSL still uses them as
        # untrusted links of the chain.
        verifier = VerifierBuilder(roots=list(ca_certificates)).build()
        try:
            verifier.verify(response, sha256)
        except (VerificationError, ValueError) as exc:
            names = "; ".join(cert.subject.rfc4514_string() for cert in ca_certificates)
            message = f"token signature does not verify against {names}: {_openssl_why(exc)}"
            raise TimestampError(message) from exc
    return TokenCheck(info.gen_time.astimezone(UTC), bool(ca_certificates), _tsa_name(response))


def _decode(data: bytes) -> TimeStampResponse:
    """A reply, parsed; one whose token lists its certificates out of DER order (OpenSSL and
    other TSAs write the signer's first) is parsed with them put in order. Only that unsigned
    list moves: the token's signed content is untouched, and the bytes kept are the TSA's."""
    try:
        return decode_timestamp_response(data)
    except ValueError:
        ordered = _certificates_in_order(data)
        if ordered is None:
            raise
        return decode_timestamp_response(ordered)


def _certificates_in_order(data: bytes) -> bytes | None:
    """The reply with its token's certificate SET sorted as DER requires, or None."""
    try:
        reply = tsp.TimeStampResp.load(data)
        signed = reply["time_stamp_token"]["content"]
        certificates = signed["certificates"]
        if not certificates.native or len(certificates) < 2:
            return None
        ordered = sorted(certificates, key=lambda choice: choice.dump())
        signed["certificates"] = cms.CertificateSet(ordered)
        dumped: bytes = reply.dump()
    except (ValueError, TypeError, KeyError):
        return None
    return None if dumped == data else dumped


def load_certificates(path: Path) -> list[x509.Certificate]:
    """All certificates in a PEM file, e.g. the TSA's root CA (`[evidence] tsa_ca_file`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TimestampError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TimestampError(f"{path} holds no PEM certificate") from exc


def _post(url: str, query: bytes, timeout: float) -> bytes:
    """The body of the TSA's answer to the query; TimestampError unless a 200 time-stamp reply."""
    headers = {"Content-Type": "application/timestamp-query"}
    request = urllib.request.Request(url, data=query, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            content_type = reply.headers.get_content_type()
            body: bytes = reply.read(MAX_REPLY + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"TSA {url} answered HTTP {exc.code} {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise TimestampError(f"TSA {url} unreachable: {_why(reason, timeout)}") from exc
    if content_type != "application/timestamp-reply":
        raise TimestampError(f"TSA {url} answered {content_type}, not a time-stamp reply")
    if len(body) > MAX_REPLY:
        raise TimestampError(f"TSA {url} answered more than {MAX_REPLY} bytes")
    return body


def _why(reason: object, timeout: float) -> str:
    """Why a connection failed, as people say it: "Connection refused", "no answer within 5 s"."""
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return _line(reason)


def _require_digest(sha256: bytes) -> None:
    if len(sha256) != 32:
        raise ValueError(f"a SHA-256 digest is 32 bytes, not {len(sha256)}")


def _info(response: TimeStampResponse, error: str) -> TimeStampTokenInfo:
    """The signed TSTInfo; TimestampError starting with `error` if there is none."""
    try:
        return response.tst_info
    except ValueError as exc:
        raise TimestampError(f"{error}: {_line(exc)}") from exc


def _covers(info: TimeStampTokenInfo, sha256: bytes) -> bool:
    imprint = info.message_imprint
    return imprint.hash_algorithm == SHA256 and imprint.message == sha256


def _status(response: TimeStampResponse) -> str:
    """E.g. "status 2 (rejection): Message digest algorithm is not supported."."""
    status = response.status
    name = {known.value: known.name.lower() for known in PKIStatus}.get(status, "unknown")
    texts = "; ".join(response.status_string)
    return _line(f"status {status} ({name})" + (f": {texts}" if texts else ""))


def _tsa_name(response: TimeStampResponse) -> str:
    """Subject of the certificate that signed the token, or else the token's tsa field."""
    signers = {(s.issuer, s.serial_number) for s in response.signed_data.signer_infos}
    for der in response.signed_data.certificates:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:  # unreadable: a certificate that cannot have signed anything we trust
            continue
        if (cert.issuer, cert.serial_number) in signers:
            return cert.subject.rfc4514_string()
    name = response.tst_info.name
    if isinstance(name, x509.DirectoryName):
        return name.value.rfc4514_string()
    return str(name.value) if name is not None else "unnamed TSA"


def _openssl_why(error: Exception) -> str:
    """OpenSSL's first reason (the cause) in rfc3161-client's error, a Rust ErrorStack as text."""
    text = str(error)
    found = re.search(r'data: "Verify error: ([^"]+)"', text)
    found = found or re.search(r'reason: "([^"]+)"', text)
    return found.group(1) if found else _line(text)


def _line(reason: object) -> str:
    """A reason on one line, as the errors of this module are."""
    return " ".join(str(reason).split())
