"""The lossless text form, end to end: random atoms whose symbols hold any
bytes (spaces, parens, quotes, '$', ';', NUL, newlines, invalid UTF-8,
long symbols) come back byte for byte through every route that prints
text: the Python API, every CLI command that prints, the binary protocol,
and HTTP export with lossless=1. Each route's text is parsed back by
pathspace and compared with the atoms' bytes, built here from the encoding
rules (docs/encoding.md), not by pathspace."""
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import pathspace
from conftest import BUILD, ROOT, in_files

sys.path.insert(0, os.path.join(ROOT, "tools"))
from make_golden import text as oracle_text  # noqa: E402  the spec, written in Python

SEED = int(os.environ.get("PS_SEED", "20261206"))
TRICKY = b' ()$";\\x\r\n\t\x00\x80\xc3\xa9\xff"'


def symbol(r):
    n = r.choice([1, 2, 3, 5, 8, 20, 63, 64, 70])
    b = bytes(r.choice(TRICKY) if r.random() < 0.6 else r.randrange(256) for _ in range(n))
    if n < 64:
        return bytes([0xC0 | n]) + b
    return b"\x41" + n.to_bytes(4, "big") + b


def atom(r, depth=0, nvars=None):
    """One random atom's encoding: lists, symbols and variables."""
    if nvars is None:
        nvars = [0]
    k = r.random()
    if depth > 3 or k < 0.45:
        if k < 0.08 and nvars[0] < 64:
            nvars[0] += 1
            return b"\xc0"
        if k < 0.12 and nvars[0]:
            return bytes([0x80 | r.randrange(nvars[0])])
        return symbol(r)
    n = r.randrange(1, 5)
    return bytes([n]) + b"".join(atom(r, depth + 1, nvars) for _ in range(n))


@pytest.fixture(scope="module")
def atoms():
    r = random.Random(SEED)
    got = {atom(r) for _ in range(400)}
    got.add(b"\x02\xc8Original\xca1 OCT 2019")  # pobox.paths' own
    return got


def space_of(text):
    s = pathspace.Space()
    s.loads(text, "metta")
    return set(s.paths())


def cli(*args, stdin=None):
    p = subprocess.run([os.path.join(BUILD, "pathspace"), *args], input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout


@pytest.fixture(scope="module")
def snap(atoms, tmp_path_factory):
    d = tmp_path_factory.mktemp("lossless")
    s = pathspace.Space()
    for a in atoms:
        s.add_path(a)
    f = str(d / "in.snap")
    s.save(f)
    return f


def test_python_routes(atoms):
    s = pathspace.Space()
    for a in atoms:
        s.add_path(a)
        assert pathspace.decode(a) == oracle_text(a)[0], a
        assert pathspace.encode(pathspace.decode(a)) == a, a
    assert {pathspace.encode(t) for t in s} == atoms
    assert space_of("\n".join(s.atoms())) == atoms
    assert {pathspace.encode(t) for t in s.query("$x")} == atoms
    for t in s:
        t.encode("utf-8")  # the text is valid UTF-8: no surrogates


def test_files(atoms, snap, tmp_path):
    m = str(tmp_path / "out.metta")
    s = pathspace.Space()
    s.load(snap)
    s.save(m)
    assert space_of(open(m, "rb").read().decode()) == atoms
    cli("convert", snap, m)
    assert space_of(open(m, "rb").read().decode()) == atoms
    back = str(tmp_path / "back.snap")
    cli("convert", m, back)
    t = pathspace.Space()
    t.load(back)
    assert set(t.paths()) == atoms


@pytest.mark.parametrize("args", [
    ["dump"], ["query", "$x"], ["query", "$x", "(w $x)"], ["import", "-o", "-"],
    ["union", "-o", "-"], ["transform", "$x", "(w $x)", "-o", "-"],
])
def test_cli_commands(atoms, snap, args):
    cmd = [args[0], snap, *args[1:]] if args[0] != "dump" else ["dump", snap]
    if args[0] in ("union",):
        cmd = [args[0], snap, snap, *args[1:]]
    out = cli(*cmd).decode()
    want = atoms
    if "(w $x)" in args:
        want = {b"\x02\xc1w" + a for a in atoms}
        if args[0] == "transform":
            want = want | atoms
    assert space_of(out) == want


def test_open_shell(atoms, snap, tmp_path):
    d = str(tmp_path / "p")
    out = cli("open", d, "--import", snap, stdin=b"dump\n").decode()
    assert space_of(out) == atoms


def test_servers(atoms, snap, server):
    f = in_files(server, snap)
    # the space is loaded over HTTP from the snapshot: no text on the way in
    url = f"{server.url}/import/$x/$x/?uri=file://{f}&format=snap"
    assert urllib.request.urlopen(url, timeout=60).status == 200
    port = str(server.port)
    for _ in range(600):
        if cli("client", "--port", port, "count").strip() == str(len(atoms)).encode():
            break
        time.sleep(0.05)
    assert space_of(cli("client", "--port", port, "export").decode()) == atoms
    assert space_of(cli("client", "--port", port, "query", "$x").decode()) == atoms
    m = pathspace.MORK(server.url)
    assert space_of(m.download("$x", "$x", lossless=True).data) == atoms
    raw = m.download("$x", "$x").response.content  # MORK's text: symbols raw
    assert b"(Original 1 OCT 2019)" in raw


def test_mork_formats_one_rule(server, tmp_path):
    """Every route that writes .paths (and ACT) refuses an atom MORK cannot
    hold, naming it, or leaves it out when asked; what it writes,
    pathspace's own convert reads."""
    atoms = ["(short a)", f"(long {'L' * 70})"]
    long = "L" * 50  # the message shows the atom's first 64 bytes
    s = pathspace.Space(atoms)
    named = "atom 1 needs pathspace's extension"
    for fmt in ("paths", "act"):
        with pytest.raises(pathspace.Error, match=named):
            s.save(str(tmp_path / f"x.{fmt}"))
        assert not os.path.exists(tmp_path / f"x.{fmt}")
        assert s.save(str(tmp_path / f"x.{fmt}"), skip_extended=True) == 1
    src = str(tmp_path / "both.metta")
    s.save(src)
    p = subprocess.run([os.path.join(BUILD, "pathspace"), "convert", src,
                        str(tmp_path / "c.paths")], stderr=subprocess.PIPE)
    assert p.returncode != 0 and named.encode() in p.stderr and long.encode() in p.stderr
    cli("convert", "--skip-extended", src, str(tmp_path / "c.paths"))
    # the servers
    m = pathspace.MORK(server.url)
    m.upload_("\n".join(atoms))
    port = str(server.port)
    p = subprocess.run([os.path.join(BUILD, "pathspace"), "client", "--port", port, "export",
                        "--format", "paths", "-o", str(tmp_path / "b.paths")],
                       stderr=subprocess.PIPE)
    assert p.returncode != 0 and named.encode() in p.stderr and long.encode() in p.stderr
    assert not os.path.exists(tmp_path / "b.paths")  # no partial file
    cli("client", "--port", port, "export", "--format", "paths", "--skip-extended", "-o",
        str(tmp_path / "b.paths"))
    try:
        urllib.request.urlopen(f"{server.url}/export/$x/$x/?format=paths", timeout=60)
        assert False, "the HTTP export of .paths took an atom MORK cannot hold"
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        assert e.code == 422 and named in body and long in body, body
    h = urllib.request.urlopen(f"{server.url}/export/$x/$x/?format=paths&skip_extended=1",
                               timeout=60).read()
    (tmp_path / "h.paths").write_bytes(h)
    for f in ("c.paths", "b.paths", "h.paths"):
        cli("convert", str(tmp_path / f), str(tmp_path / (f + ".metta")))
        assert open(tmp_path / (f + ".metta")).read() == "(short a)\n"


def test_explore_text(server):
    """explore answers in MORK's text; lossless=1 in pathspace's."""
    m = pathspace.MORK(server.url)
    m.upload_("(Original 1\\x20OCT\\x202019)")
    base = f"{server.url}/explore/%24x//"
    raw = json.loads(urllib.request.urlopen(base, timeout=60).read())
    ll = json.loads(urllib.request.urlopen(base + "?lossless=1", timeout=60).read())
    assert [i["expr"] for i in raw] == ["(Original 1 OCT 2019)"]
    assert [i["expr"] for i in ll] == ["(Original 1\\x20OCT\\x202019)"]
    assert pathspace.encode(ll[0]["expr"]) == b"\x02\xc8Original\xca1 OCT 2019"
