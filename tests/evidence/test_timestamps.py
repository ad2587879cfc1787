"""RFC 3161 time-stamps against a real local TSA (openssl ts behind HTTP), checked by us and by
the openssl command line a third party would use."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rfc3161_client import decode_timestamp_response

from evidence.timestamps import (
    Stamp,
    TimestampError,
    TokenCheck,
    check_token,
    load_certificates,
    request_stamp,
)
from tests.support.tsa import TSA_NAME, LocalTsa

DATA = b"WARC/1.1\r\nWARC-Type: resource\r\n\r\nthe page as it was cited\r\n"
DIGEST = hashlib.sha256(DATA).digest()


@pytest.fixture
def stamp(tsa: LocalTsa) -> Stamp:
    return request_stamp(tsa.url, DIGEST, timeout=5)


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, timeout=10, check=False
    )


def error_of(call: object, *args: object, **kwargs: object) -> str:
    """The one-line message of the TimestampError the call raises."""
    with pytest.raises(TimestampError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_token_is_trusted_and_openssl_verifies_it(tsa: LocalTsa, tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)  # the TSA gives whole seconds
    stamp = request_stamp(tsa.url, DIGEST, timeout=5)
    after = datetime.now(UTC)

    assert stamp.tsa_url == tsa.url
    assert stamp.gen_time.utcoffset() == timedelta(0)
    assert before <= stamp.gen_time <= after
    check = check_token(stamp.token, DIGEST, load_certificates(tsa.ca_file))
    assert check == TokenCheck(gen_time=stamp.gen_time, trusted=True, tsa=TSA_NAME)

    data, token = tmp_path / "record.warc", tmp_path / "record.warc.tsr"
    data.write_bytes(DATA)
    token.write_bytes(stamp.token)
    verified = openssl("ts", "-verify", "-data", data, "-in", token, "-CAfile", tsa.ca_file)
    assert verified.returncode == 0, verified.stderr
    assert "Verification: OK" in verified.stdout
    data.write_bytes(DATA + b"one more line\r\n")
    assert openssl("ts", "-verify", "-data", data, "-in", token, "-CAfile", tsa.ca_file).returncode


def test_openssl_shows_the_digest_of_the_data(stamp: Stamp, tmp_path: Path) -> None:
    token = tmp_path / "record.warc.tsr"
    token.write_bytes(stamp.token)

    shown = openssl("ts", "-reply", "-in", token, "-text")

    assert shown.returncode == 0, shown.stderr
    assert "Status: Granted." in shown.stdout
    assert "Hash Algorithm: sha256" in shown.stdout
    dump = shown.stdout.split("Message data:")[1].split("Serial number:")[0]
    hex_digits = "".join(re.findall(r"^\s+\w{4} - ([0-9a-f -]+?)   ", dump, re.MULTILINE))
    assert bytes.fromhex(hex_digits.replace("-", " ")) == DIGEST
    assert f"TSA: DirName:/{'/'.join(reversed(TSA_NAME.split(',')))}" in shown.stdout


def test_one_request_per_stamp_each_with_its_own_nonce(tsa: LocalTsa) -> None:
    answered = tsa.requests
    first = request_stamp(tsa.url, DIGEST, timeout=5)
    second = request_stamp(tsa.url, DIGEST, timeout=5)

    assert tsa.requests == answered + 2
    assert tsa.queries[-1] != tsa.queries[-2]  # same digest: only the nonce differs
    assert first.token != second.token


def test_a_token_checked_against_other_data(tsa: LocalTsa, stamp: Stamp) -> None:
    other = hashlib.sha256(DATA + b"\n").digest()
    cas = load_certificates(tsa.ca_file)

    assert error_of(check_token, stamp.token, other, cas) == "token is for other data"
    assert error_of(check_token, stamp.token, other) == "token is for other data"


def _flip_last_byte(token: bytes) -> bytes:
    """The signature is the token's last field: its last byte is the signature's."""
    return token[:-1] + bytes([token[-1] ^ 0x01])


def _one_second_later(token: bytes) -> bytes:
    """genTime, inside the signed TSTInfo, a second later (so still in the certificate's life)."""
    found = re.search(rb"\x18\x0f(\d{14})Z", token)  # GeneralizedTime: only genTime has one
    assert found is not None
    later = datetime.strptime(found.group(1).decode(), "%Y%m%d%H%M%S") + timedelta(seconds=1)
    return token[: found.start(1)] + later.strftime("%Y%m%d%H%M%S").encode() + token[found.end(1) :]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [(_flip_last_byte, "provider signature failure"), (_one_second_later, "digest failure")],
)
def test_a_tampered_token_does_not_verify(
    tsa: LocalTsa, stamp: Stamp, tamper: object, reason: str
) -> None:
    tampered = tamper(stamp.token)  # type: ignore[operator]
    assert tampered != stamp.token

    message = error_of(check_token, tampered, DIGEST, load_certificates(tsa.ca_file))

    assert message == f"token signature does not verify against CN=citewatch test root: {reason}"
    # Without CA certificates only the imprint is checked: such a check proves nothing more.
    assert check_token(tampered, DIGEST).trusted is False


def test_a_token_checked_against_another_ca(stamp: Stamp, other_ca: Path) -> None:
    message = error_of(check_token, stamp.token, DIGEST, load_certificates(other_ca))

    assert message == (
        "token signature does not verify against CN=other test root: "
        "unable to get local issuer certificate"
    )


def test_a_self_signed_tsa_is_not_trusted(
    tsa: LocalTsa, forger_tsa: LocalTsa, tmp_path: Path
) -> None:
    """Same TSA name, certificate carried in the token: only our CA decides."""
    forged = request_stamp(forger_tsa.url, DIGEST, timeout=5)
    cas = load_certificates(tsa.ca_file)

    assert error_of(check_token, forged.token, DIGEST, cas).startswith(
        "token signature does not verify against CN=citewatch test root"
    )
    # The forgery is otherwise a good token: trusted by whoever trusts the forger.
    assert check_token(forged.token, DIGEST, load_certificates(forger_tsa.ca_file)).trusted


def test_a_rejection_reply_stored_as_a_token(tsa: LocalTsa) -> None:
    tsa.refuse(True)
    with pytest.raises(TimestampError):
        request_stamp(tsa.url, DIGEST, timeout=5)
    query = tsa.queries[-1]
    rejection = tsa.reply(query)

    message = error_of(check_token, rejection, DIGEST, load_certificates(tsa.ca_file))

    assert message.startswith("not a time-stamp token: status 2 (rejection)")


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"\x30\x03\x02\x01\x00", DATA])
def test_garbage_is_not_a_token(tsa: LocalTsa, garbage: bytes) -> None:
    message = error_of(check_token, garbage, DIGEST, load_certificates(tsa.ca_file))

    assert message.startswith("not a time-stamp token")


def test_without_ca_certificates_only_the_imprint_is_checked(stamp: Stamp) -> None:
    check = check_token(stamp.token, DIGEST)

    assert check == TokenCheck(gen_time=stamp.gen_time, trusted=False, tsa=TSA_NAME)


def test_tsa_down_then_back_on_the_same_url(tsa: LocalTsa) -> None:
    url = tsa.url
    tsa.stop()

    started = time.monotonic()
    message = error_of(request_stamp, url, DIGEST, timeout=5)
    assert time.monotonic() - started < 5
    assert message == f"TSA {url} unreachable: Connection refused"

    tsa.start()
    assert tsa.url == url
    assert check_token(request_stamp(url, DIGEST, timeout=5).token, DIGEST).gen_time


def test_tsa_that_never_answers(tsa: LocalTsa) -> None:
    tsa.hang(True)

    started = time.monotonic()
    message = error_of(request_stamp, tsa.url, DIGEST, timeout=0.5)

    assert time.monotonic() - started < 3
    assert message == f"TSA {tsa.url} unreachable: no answer within 0.5 s"


def test_tsa_that_refuses(tsa: LocalTsa) -> None:
    tsa.refuse(True)

    message = error_of(request_stamp, tsa.url, DIGEST, timeout=5)

    assert message == (
        f"TSA {tsa.url} refused the request: status 2 (rejection): "
        "Message digest algorithm is not supported."
    )


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (500, "text/plain", b"Internal error\n", "answered HTTP 500 Internal Server Error"),
        (404, "text/html", b"<h1>Not found</h1>", "answered HTTP 404 Not Found"),
        (200, "text/html", b"<h1>Welcome</h1>", "answered text/html, not a time-stamp reply"),
        (200, "application/timestamp-reply", b"garbage", "answered with no time-stamp reply: "),
    ],
)
def test_tsa_that_answers_something_else(
    tsa: LocalTsa, status: int, content_type: str, body: bytes, expected: str
) -> None:
    tsa.answer_with(status, content_type, body)

    message = error_of(request_stamp, tsa.url, DIGEST, timeout=5)

    assert message.startswith(f"TSA {tsa.url} {expected}")


def test_a_replayed_reply_is_refused(tsa: LocalTsa, stamp: Stamp) -> None:
    """An old reply sent again (a cache, a replay): the nonce or the digest gives it away."""
    tsa.answer_with(200, "application/timestamp-reply", stamp.token)

    same_data = error_of(request_stamp, tsa.url, DIGEST, timeout=5)
    other_data = error_of(request_stamp, tsa.url, hashlib.sha256(b"other").digest(), timeout=5)

    assert same_data == f"TSA {tsa.url} did not echo the request's nonce"
    assert other_data == f"TSA {tsa.url} stamped other data than it was sent"


def test_tsa_url_must_be_http() -> None:
    message = error_of(request_stamp, "file:///etc/passwd", DIGEST)

    assert message == "TSA URL 'file:///etc/passwd' is not http:// or https://"


def test_a_digest_is_32_bytes(stamp: Stamp) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        check_token(stamp.token, DIGEST.hex().encode())


def test_load_certificates(tsa: LocalTsa, other_ca: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(tsa.ca_file.read_bytes() + other_ca.read_bytes())
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")

    assert [c.subject.rfc4514_string() for c in load_certificates(bundle)] == [
        "CN=citewatch test root",
        "CN=other test root",
    ]
    assert error_of(load_certificates, not_pem) == f"{not_pem} holds no PEM certificate"
    missing = tmp_path / "missing.pem"
    assert (
        error_of(load_certificates, missing) == f"cannot read {missing}: No such file or directory"
    )


def test_a_tsa_that_sends_its_chain_out_of_der_order_is_understood(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """OpenSSL, like many TSAs, lists a token's certificates signer first, not in the order DER
    wants: the token is still read and verified, and the bytes kept are the TSA's own."""
    chained = LocalTsa(tmp_path_factory.mktemp("chained-tsa"), chain=True)
    try:
        stamp = request_stamp(chained.url, DIGEST, timeout=5)
    finally:
        chained.stop()
    checked = check_token(stamp.token, DIGEST, load_certificates(chained.ca_file))
    assert checked.trusted and checked.tsa == TSA_NAME
    data, token = tmp_path / "data", tmp_path / "token.tsr"
    data.write_bytes(DATA)
    token.write_bytes(stamp.token)
    verified = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(data), "-in", str(token),
         "-CAfile", str(chained.ca_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Verification: OK" in verified.stdout, verified.stderr
    with pytest.raises(ValueError, match="InvalidSetOrdering"):  # what rfc3161-client says alone
        decode_timestamp_response(stamp.token)
