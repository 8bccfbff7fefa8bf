"""genPrivateKey "dsa": the key Sprig writes (crypto.go generatePrivateKey with
dsa.L2048N256, PEM block "DSA PRIVATE KEY" holding the OpenSSL layout
SEQUENCE {version 0, p, q, g, y, x}), checked on polystack's key and, when the
reference renderer loads, on real Helm's."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from typing import Any

from polystack.helm.funcs.sprig import sprig_funcs
from polystack.helm.template import TemplateSet


def _der_ints(der: bytes) -> list[int]:
    """The INTEGERs of a DER SEQUENCE of INTEGERs (asserting that shape)."""

    def length(i: int) -> tuple[int, int]:
        n = der[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(der[i + 1 : i + 1 + k], "big"), i + 1 + k

    assert der[0] == 0x30
    total, i = length(1)
    assert i + total == len(der)
    out = []
    while i < len(der):
        assert der[i] == 0x02
        n, i = length(i + 1)
        assert der[i] < 0x80 or n == 1  # non-negative, minimally encoded
        out.append(int.from_bytes(der[i : i + n], "big"))
        i += n
    return out


def check_dsa_pem(pem: str) -> None:
    lines = pem.split("\n")
    assert lines[0] == "-----BEGIN DSA PRIVATE KEY-----"
    assert lines[-2] == "-----END DSA PRIVATE KEY-----" and lines[-1] == ""
    body = lines[1:-2]
    assert all(len(line) == 64 for line in body[:-1]) and 0 < len(body[-1]) <= 64
    version, p, q, g, y, x = _der_ints(base64.b64decode("".join(body)))
    assert version == 0
    assert p.bit_length() == 2048 and q.bit_length() == 256  # dsa.L2048N256
    assert (p - 1) % q == 0
    assert 1 < g < p and pow(g, q, p) == 1
    assert 0 < x < q and y == pow(g, x, p)


def test_polystack_dsa_key() -> None:
    ts = TemplateSet(sprig_funcs())
    ts.parse("t", '{{ genPrivateKey "dsa" }}')
    check_dsa_pem(ts.execute("t", {}))


def test_helm_dsa_key(helm_oracle: Any) -> None:
    d = tempfile.mkdtemp()
    os.makedirs(f"{d}/c/templates")
    with open(f"{d}/c/Chart.yaml", "w") as f:
        f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    with open(f"{d}/c/templates/k.txt", "w") as f:
        f.write('{{ genPrivateKey "dsa" }}')
    cwd = os.getcwd()
    os.chdir(tempfile.gettempdir())
    try:
        out = helm_oracle.Chart.load(f"{d}/c").render(values={}, name="rel")
    finally:
        os.chdir(cwd)
        shutil.rmtree(d)
    check_dsa_pem(out["c/templates/k.txt"])
