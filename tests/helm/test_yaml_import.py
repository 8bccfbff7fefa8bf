"""PyYAML imported with its patterns deferred (encoding/yamlimport.py), as a fresh
`helm template` process imports it: PyYAML, pure-Python and libyaml alike, reads
and writes exactly as when imported normally."""

from __future__ import annotations

import subprocess
import sys

PROBE = r"""
import json, re, sys
if sys.argv[1] == "deferred":
    from polystack.helm.encoding.yamlimport import DeferredPattern, import_yaml_deferring_patterns
    import_yaml_deferring_patterns()
    import yaml
    assert re.compile is not DeferredPattern and isinstance(re.compile("x"), re.Pattern)
    assert isinstance(yaml.reader.Reader.NON_PRINTABLE, DeferredPattern)
import yaml
from polystack.helm.encoding import yamlgo
doc = "a: 1\nb: 2001-12-14t21:59:43.10-05:00\nc: [0x1F, 1_000, 0o17, .inf, ~, yes, 1e3]\nd: 'x'\n"
out = [
    repr(yaml.load(doc, Loader=yaml.SafeLoader)),
    repr(yaml.load(doc, Loader=yaml.CSafeLoader)),
    repr(yaml.full_load(doc + "e: !!binary aGVsbG8=\n")),
    yaml.safe_dump({"k": ["v", 1, 2.5, None, True, "12:30"]}),
    yaml.dump({"k": "\u00e9\x85"}, allow_unicode=True),
    repr(yamlgo.unmarshal(doc.replace(".inf, ", ""))),
    yamlgo.marshal_yaml({"z": [1, "on", "1e3"], "a": {"b": None}}),
    yamlgo.to_yaml_pretty({"z": [1, "on"], "a": {}}),
]
try:
    yaml.safe_load("a: \x07")
except yaml.YAMLError as e:
    out.append(str(e))
print(json.dumps(out))
"""


def _run(mode: str) -> str:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_deferred_patterns_read_and_write_as_pyyaml_does() -> None:
    assert _run("deferred") == _run("normal")
