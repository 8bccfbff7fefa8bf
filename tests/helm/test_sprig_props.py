"""Property tests of the Sprig functions whose output is random or that are
codecs: lengths, charsets, parseable PEM, decrypt(encrypt(x)) == x, bcrypt
verification, certificate chains, and round trips of the Go codecs."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import string

import bcrypt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from polystack.helm.encoding import jsongo
from polystack.helm.funcs.sprig import sprig_funcs
from polystack.helm.funcs.sprig.crypto import Certificate
from polystack.helm.golang import time as gotime
from polystack.helm.golang.regexp import RegexpError, compile_re2, quote_meta

F = sprig_funcs()

# Masterminds/sprig v3.3 functions.go genericMap, plus sha512sum (v3.3.0),
# minus env/expandenv which Helm's pkg/engine/funcs.go deletes.
EXPECTED_NAMES = set(
    """hello ago date date_in_zone date_modify dateInZone dateModify duration durationRound
    htmlDate htmlDateInZone must_date_modify mustDateModify mustToDate now toDate unixEpoch
    abbrev abbrevboth trunc trim upper lower title untitle substr repeat trimall trimAll
    trimSuffix trimPrefix nospace initials randAlphaNum randAlpha randAscii randNumeric
    swapcase shuffle snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix
    quote squote cat indent nindent replace plural sha1sum sha256sum sha512sum adler32sum
    toString atoi int64 int float64 seq toDecimal split splitList splitn toStrings until
    untilStep add1 add sub div mod mul randInt add1f addf subf divf mulf biggest max min
    maxf minf ceil floor round join sortAlpha default empty coalesce all any compact
    mustCompact fromJson toJson toPrettyJson toRawJson mustFromJson mustToJson
    mustToPrettyJson mustToRawJson ternary deepCopy mustDeepCopy typeOf typeIs typeIsLike
    kindOf kindIs deepEqual getHostByName base dir clean ext isAbs osBase osClean osDir
    osExt osIsAbs b64enc b64dec b32enc b32dec tuple list dict get set unset hasKey pluck
    keys pick omit merge mergeOverwrite mustMerge mustMergeOverwrite values append push
    mustAppend mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast
    initial mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas
    slice mustSlice concat dig chunk mustChunk bcrypt htpasswd genPrivateKey derivePassword
    buildCustomCert genCA genCAWithKey genSelfSignedCert genSelfSignedCertWithKey
    genSignedCert genSignedCertWithKey encryptAES decryptAES randBytes uuidv4 semver
    semverCompare fail regexMatch mustRegexMatch regexFindAll mustRegexFindAll regexFind
    mustRegexFind regexReplaceAll mustRegexReplaceAll regexReplaceAllLiteral
    mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta urlParse
    urlJoin""".split()
)


def test_names_are_exactly_helms_sprig_set() -> None:
    assert set(F) == EXPECTED_NAMES
    assert "env" not in F and "expandenv" not in F


@pytest.mark.parametrize(
    ("fn", "alphabet"),
    [
        ("randAlphaNum", string.ascii_letters + string.digits),
        ("randAlpha", string.ascii_letters),
        ("randNumeric", string.digits),
        ("randAscii", "".join(chr(c) for c in range(32, 127))),
    ],
)
@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(n=st.integers(min_value=-5, max_value=200))
def test_random_strings(fn: str, alphabet: str, n: int) -> None:
    s = F[fn](n)
    assert len(s) == max(n, 0)
    assert set(s) <= set(alphabet)


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(st.text(max_size=50))
def test_shuffle_is_a_permutation(s: str) -> None:
    assert sorted(F["shuffle"](s)) == sorted(s)


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(st.integers(min_value=0, max_value=300))
def test_rand_bytes(n: int) -> None:
    assert len(base64.b64decode(F["randBytes"](n), validate=True)) == n


def test_uuidv4() -> None:
    u = F["uuidv4"]()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u)


@settings(max_examples=50)
@given(key=st.text(max_size=40), text=st.text(min_size=1, max_size=200))
def test_aes_round_trip(key: str, text: str) -> None:
    enc = F["encryptAES"](key, text)
    raw = base64.b64decode(enc)
    assert len(raw) % 16 == 0 and len(raw) >= 32  # IV + at least one padded block
    assert F["decryptAES"](key, enc) == text


@pytest.mark.parametrize(
    ("key", "ct", "plain"),
    [
        # produced by real Helm 4.2: {{ encryptAES KEY PLAIN }}
        ("secretkey", "WyVhYB+rh4Bq5KHj9DWfHfDEQUKkRowQfnaDZHD1Z/0=", "plaintext"),
        (
            "a-much-longer-password-over-32-bytes-long",
            "NIyKZ8V/V/71aA+1PWp5QKuSVoqBCPGkZNqitH3LNFqzdWwk2jQHUv1fxPIIMNAlcAXy/5my1S2000zndKIUew==",
            "héllo wörld, 16+ bytes of text",
        ),
    ],
)
def test_decrypt_go_ciphertext(key: str, ct: str, plain: str) -> None:
    assert F["decryptAES"](key, ct) == plain


def test_bcrypt_and_htpasswd_verify() -> None:
    h = F["bcrypt"]("s3cret")
    assert h.startswith("$2a$10$") and len(h) == 60
    assert bcrypt.checkpw(b"s3cret", h.encode())
    user, _, hp = F["htpasswd"]("admin", "pw").partition(":")
    assert user == "admin" and bcrypt.checkpw(b"pw", hp.encode())
    assert F["htpasswd"]("a:b", "pw") == "invalid username: a:b"


@pytest.mark.parametrize(
    ("typ", "header", "cls"),
    [
        ("ecdsa", "EC PRIVATE KEY", ec.EllipticCurvePrivateKey),
        ("ed25519", "PRIVATE KEY", ed25519.Ed25519PrivateKey),
        ("rsa", "RSA PRIVATE KEY", rsa.RSAPrivateKey),
        ("dsa", "DSA PRIVATE KEY", dsa.DSAPrivateKey),
    ],
)
def test_gen_private_key(typ: str, header: str, cls: type) -> None:
    pem = F["genPrivateKey"](typ)
    assert pem.startswith(f"-----BEGIN {header}-----\n") and pem.endswith(
        f"-----END {header}-----\n"
    )
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, cls)
    if typ == "rsa":
        assert key.key_size == 4096
    assert F["genPrivateKey"]("x") == "Unknown type x"


def _cert(c: Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(c.Cert.encode())


def test_ca_and_signed_cert_chain() -> None:
    ca = F["genCA"]("my-ca", 30)
    assert isinstance(ca, Certificate)
    cac = _cert(ca)
    assert cac.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "my-ca"
    assert cac.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    days = (cac.not_valid_after_utc - cac.not_valid_before_utc) / dt.timedelta(days=1)
    assert round(days) == 30
    leaf = F["genSignedCert"]("svc", ["10.0.0.1"], ["svc.local", "svc"], 5, ca)
    lc = _cert(leaf)
    assert lc.issuer == cac.subject
    pub = cac.public_key()
    assert isinstance(pub, rsa.RSAPublicKey)
    pub.verify(
        lc.signature, lc.tbs_certificate_bytes, padding.PKCS1v15(), lc.signature_hash_algorithm
    )
    san = lc.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["svc.local", "svc"]
    assert [str(i) for i in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    eku = lc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not lc.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    serialization.load_pem_private_key(leaf.Key.encode(), password=None)


def test_with_key_variants_keep_the_key() -> None:
    key = F["genPrivateKey"]("ecdsa")
    ca = F["genCAWithKey"]("ca", 1, key)
    assert ca.Key == key
    ss = F["genSelfSignedCertWithKey"]("x", None, None, 1, key)
    assert ss.Key == key and _cert(ss).issuer == _cert(ss).subject
    leaf = F["genSignedCertWithKey"]("y", None, None, 1, ca, key)
    assert leaf.Key == key
    rebuilt = F["buildCustomCert"](F["b64enc"](leaf.Cert), F["b64enc"](leaf.Key))
    assert (rebuilt.Cert, rebuilt.Key) == (leaf.Cert, leaf.Key)


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(st.binary(max_size=100))
def test_base64_base32_round_trip(data: bytes) -> None:
    s = data.decode("latin-1")
    enc = F["b64enc"](s)
    assert enc == base64.b64encode(s.encode()).decode()
    assert F["b64dec"](enc) == s
    assert F["b32dec"](F["b32enc"](s)) == s


@pytest.mark.parametrize(
    ("fn", "data", "msg"),
    [
        ("b64dec", "a$", "illegal base64 data at input byte 1"),
        ("b64dec", "aGVsbG8", "illegal base64 data at input byte 4"),
        ("b64dec", "aGVsbG8=x", "illegal base64 data at input byte 8"),
        ("b32dec", "NBSWY3D", "illegal base32 data at input byte 0"),
    ],
)
def test_go_decoder_errors(fn: str, data: str, msg: str) -> None:
    assert F[fn](data) == msg


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=20,
)


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(_json)
def test_json_round_trip(v: object) -> None:
    text = jsongo.marshal(v)
    assert json.loads(text, parse_int=float) == v
    assert jsongo.unmarshal(text) == v
    assert json.loads(jsongo.marshal(v, indent="  "), parse_int=float) == v


@pytest.mark.parametrize(
    ("f", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "-0"),
    ],
)
def test_json_floats_as_go(f: float, text: str) -> None:
    assert jsongo.json_float(f) == text


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(st.text(max_size=30), st.text(max_size=60))
def test_quote_meta_matches_literally(lit: str, hay: str) -> None:
    r = compile_re2(quote_meta(lit))
    assert r.match_string(hay + lit + hay)
    expected = [m.group(0) for m in re.finditer(re.escape(lit), hay)] if lit else None
    got = r.find_all_string(hay, -1)
    if lit:
        assert (got or []) == expected


@pytest.mark.parametrize("bad", ["(?=x)", "(?!x)", "(?<=x)", "(?<!x)", r"(a)\1", "a++", "(?>a)"])
def test_re2_rejects_perl_only_syntax(bad: str) -> None:
    with pytest.raises(RegexpError):
        compile_re2(bad)


@settings(deadline=None)  # no timing in a test: the machine may be busy
@given(st.integers(min_value=-(1 << 63) + 1, max_value=(1 << 63) - 1))
def test_duration_round_trip(d: int) -> None:
    assert gotime.parse_duration(gotime.format_duration(d)) == d


@pytest.mark.parametrize(
    ("ns", "text"),
    [(0, "0s"), (1, "1ns"), (1100, "1.1µs"), (2_200_000, "2.2ms"), (3_300_000_000, "3.3s"),
     (4 * 60 * 10**9 + 5 * 10**9, "4m5s"), (5 * 3600 * 10**9, "5h0m0s"), (-90 * 10**9, "-1m30s")],
)  # fmt: skip
def test_duration_string(ns: int, text: str) -> None:
    assert gotime.format_duration(ns) == text


def test_fail_and_hello() -> None:
    assert F["hello"]() == "Hello!"
    with pytest.raises(Exception, match="^boom$"):
        F["fail"]("boom")
