"""Gladly request signing: the documented vector, round trips and every way to be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.signing import SignatureError, sign, verify

KEY = "test-apikey-1"
VECTOR_TIME = datetime(2019, 2, 13, 21, 40, 16, tzinfo=UTC)
VECTOR_PATH = "/api/v2/customer/lookup"
VECTOR_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Gladly-Correlation-Id": "vXmSEPjVSWCaCMzvjufxZg",
    "X-B3-Traceid": "bd799210f8d549609a08ccef8ee7f166",
}
VECTOR_BODY = (
    b'{"lookupLevel":"DETAILED","query":{"emails":["martha.williams@gmail.com"],'
    b'"externalCustomerId":"abc","favoriteDate":"2018-08-19T07:00:00.000Z",'
    b'"favoriteFood":"Apple Pie","id":"o2sg-TMTSD2rTwMuxzewbA","name":"Martha Williams",'
    b'"phones":["+15013299800"]},"uniqueMatchRequired":true}'
)
VECTOR_SIGNATURE = "4c633fca4914f51df04c9ec40f4545d66d653e771c6634e33eed52a242bc278c"
VECTOR_AUTHORIZATION = (
    "SigningAlgorithm=hmac-sha256, "
    "SignedHeaders=accept;content-type;gladly-correlation-id;gladly-time;x-b3-traceid, "
    f"Signature={VECTOR_SIGNATURE}"
)


def vector_headers(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The documented request's headers as Gladly sends them, with some replaced."""
    headers = VECTOR_HEADERS | {
        "Gladly-Time": "20190213T214016Z",
        "Gladly-Authorization": VECTOR_AUTHORIZATION,
    }
    return headers | (overrides or {})


def check(
    headers: dict[str, str],
    *,
    keys: tuple[str, ...] = (KEY,),
    method: str = "POST",
    path: str = VECTOR_PATH,
    query: str = "",
    body: bytes = VECTOR_BODY,
    now: datetime = VECTOR_TIME,
) -> None:
    verify(keys, method, path, query=query, headers=headers, body=body, now=now)


def refused(headers: dict[str, str], **changes: Any) -> str:
    """The reason `verify` gives for refusing the request (`changes` as for `check`)."""
    with pytest.raises(SignatureError) as error:
        check(headers, **changes)
    return str(error.value)


def test_sign_reproduces_the_documented_vector() -> None:
    signed = sign(
        KEY, "POST", VECTOR_PATH, headers=VECTOR_HEADERS, body=VECTOR_BODY, when=VECTOR_TIME
    )
    assert signed == {
        "Gladly-Time": "20190213T214016Z",
        "Gladly-Authorization": VECTOR_AUTHORIZATION,
    }


def test_verify_accepts_the_documented_vector() -> None:
    check(vector_headers())


def test_header_names_are_case_insensitive_and_values_folded() -> None:
    headers = {name.lower(): value for name, value in vector_headers().items()}
    headers["accept"] = "  application/json "
    check(headers)


def test_round_trip_with_query_and_extra_signed_header() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    headers = {"Authorization": "Basic  abc\t def", "Accept": "application/json"}
    signed = sign(
        KEY, "GET", "/gladly/x", query="a=1&b=2", headers=headers, when=now,
        signed_headers=["authorization", "accept"],
    )  # fmt: skip
    assert "SignedHeaders=authorization;accept;gladly-time," in signed["Gladly-Authorization"]
    check(headers | signed, method="GET", path="/gladly/x", query="a=1&b=2", body=b"", now=now)
    reason = refused(headers | signed, method="GET", path="/gladly/x", body=b"", now=now)
    assert reason == "signature mismatch"  # the query is signed too


def test_sign_refuses_to_sign_an_absent_header() -> None:
    with pytest.raises(ValueError, match="absent"):
        sign(KEY, "GET", "/", headers={}, when=VECTOR_TIME, signed_headers=["accept"])


def test_wrong_key_is_refused() -> None:
    assert refused(vector_headers(), keys=("other-key",)) == "signature mismatch"


def test_no_keys_is_refused() -> None:
    assert refused(vector_headers(), keys=()) == "no signing keys configured"


def test_second_rotation_key_is_accepted() -> None:
    check(vector_headers(), keys=("new-key", KEY))


@pytest.mark.parametrize(
    "change",
    [
        {"body": VECTOR_BODY.replace(b"abc", b"abd")},
        {"body": VECTOR_BODY + b" "},
        {"path": "/api/v2/customer/lookup2"},
        {"query": "x=1"},
        {"method": "PUT"},
    ],
)
def test_tampered_request_is_refused(change: dict[str, object]) -> None:
    assert refused(vector_headers(), **change) == "signature mismatch"


def test_tampered_signed_header_is_refused() -> None:
    headers = vector_headers({"X-B3-Traceid": "00000000000000000000000000000000"})
    assert refused(headers) == "signature mismatch"


def test_unsigned_header_may_change() -> None:
    check(vector_headers({"User-Agent": "anything"}))


@pytest.mark.parametrize("seconds", [-299, 299, 300])
def test_clock_skew_inside_the_window_is_accepted(seconds: int) -> None:
    check(vector_headers(), now=VECTOR_TIME + timedelta(seconds=seconds))


@pytest.mark.parametrize("seconds", [-301, 301])
def test_clock_skew_outside_the_window_is_refused(seconds: int) -> None:
    reason = refused(vector_headers(), now=VECTOR_TIME + timedelta(seconds=seconds))
    assert reason == "Gladly-Time outside the allowed window"


@pytest.mark.parametrize("name", ["Gladly-Authorization", "Gladly-Time"])
def test_missing_header_is_refused(name: str) -> None:
    headers = vector_headers()
    del headers[name]
    assert refused(headers) == f"missing {name}"


def test_missing_signed_header_is_refused() -> None:
    headers = vector_headers()
    del headers["Accept"]
    assert refused(headers) == "signed header absent: accept"


@pytest.mark.parametrize(
    "value",
    ["", "20190213T214016", "2019-02-13T21:40:16Z", "20191313T214016Z", "2019213T2140160Z"],
)
def test_garbled_time_is_refused(value: str) -> None:
    assert refused(vector_headers({"Gladly-Time": value})) == "malformed Gladly-Time"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        f"SigningAlgorithm=hmac-sha256, Signature={VECTOR_SIGNATURE}",
        "SigningAlgorithm=hmac-sha256, SignedHeaders=gladly-time",
        f"SigningAlgorithm=hmac-sha256, SignedHeaders=gladly-time, Signature={VECTOR_SIGNATURE}, "
        "Extra=1",
        f"SigningAlgorithm=hmac-sha256, SigningAlgorithm=hmac-sha256, SignedHeaders=gladly-time, "
        f"Signature={VECTOR_SIGNATURE}",
    ],
)
def test_garbled_authorization_is_refused(value: str) -> None:
    assert (
        refused(vector_headers({"Gladly-Authorization": value})) == "malformed Gladly-Authorization"
    )


@pytest.mark.parametrize("signed", ["gladly-time;;accept", "gladly-time;accept;gladly-time"])
def test_garbled_signed_headers_are_refused(signed: str) -> None:
    value = f"SigningAlgorithm=hmac-sha256, SignedHeaders={signed}, Signature={VECTOR_SIGNATURE}"
    assert refused(vector_headers({"Gladly-Authorization": value})) == "malformed SignedHeaders"


@pytest.mark.parametrize("signature", ["abc", "é" * 64, "g" * 64, ""])
def test_garbled_signature_is_refused(signature: str) -> None:
    value = VECTOR_AUTHORIZATION.replace(VECTOR_SIGNATURE, signature)
    assert refused(vector_headers({"Gladly-Authorization": value})) == "malformed Signature"


def test_other_algorithm_is_refused() -> None:
    value = VECTOR_AUTHORIZATION.replace("hmac-sha256", "hmac-sha1")
    assert (
        refused(vector_headers({"Gladly-Authorization": value})) == "unsupported signing algorithm"
    )


def test_signed_headers_without_gladly_time_are_refused() -> None:
    value = VECTOR_AUTHORIZATION.replace("gladly-time;", "")
    assert refused(vector_headers({"Gladly-Authorization": value})) == "gladly-time is not signed"


def test_reason_never_reveals_key_or_expected_signature() -> None:
    reason = refused(vector_headers(), body=b"{}")
    assert KEY not in reason
    assert VECTOR_SIGNATURE not in reason


header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40
).filter(str.strip)


@given(
    body=st.binary(max_size=512),
    path=st.text(st.sampled_from("abcXYZ019-_./~%"), max_size=60).map(lambda p: "/" + p),
    accept=header_values,
    correlation_id=header_values,
    offset=st.integers(min_value=-300, max_value=300),
    data=st.data(),
)
def test_sign_then_verify_and_any_body_byte_change_fails(
    body: bytes, path: str, accept: str, correlation_id: str, offset: int, data: st.DataObject
) -> None:
    headers = {"Accept": accept, "Gladly-Correlation-Id": correlation_id}
    signed = sign(KEY, "POST", path, headers=headers, body=body, when=VECTOR_TIME)
    headers |= signed
    now = VECTOR_TIME + timedelta(seconds=offset)
    verify([KEY], "POST", path, headers=headers, body=body, now=now)
    if body:
        index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
        flip = data.draw(st.integers(min_value=1, max_value=255))
        tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
        with pytest.raises(SignatureError, match="signature mismatch"):
            verify([KEY], "POST", path, headers=headers, body=tampered, now=now)
