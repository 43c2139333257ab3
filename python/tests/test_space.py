"""pathspace.Space and pathspace.open over libpathspace."""
import os

import pytest

import pathspace
from conftest import ROOT, data

ATOMS = ["(parent Tom Bob)", "(parent Bob Ann)", "(parent Bob Liz)", "(female Ann)",
         "(female Liz)", '(name "Ann Smith")']


def test_set_operations():
    s = pathspace.Space(ATOMS)
    assert len(s) == 6
    assert "(parent Tom Bob)" in s and "(parent Ann Tom)" not in s
    assert s.add("(male Tom)") and not s.add("(male Tom)")
    assert s.remove("(male Tom)") and not s.remove("(male Tom)")
    assert sorted(s) == sorted(ATOMS)
    assert list(s) == sorted(s, key=pathspace.encode)  # trie order
    assert pathspace.decode(pathspace.encode("(a  (b $x)   $x)")) == "(a (b $a) $a)"


def test_parse_errors_say_where():
    s = pathspace.Space()
    with pytest.raises(pathspace.Error) as e:
        s.add("(a (b)")
    assert e.value.code == 9  # PS_E_PARSE
    with pytest.raises(pathspace.Error) as e:
        s.loads("(a)\n(b))\n")
    assert (e.value.line, e.value.col) == (2, 4)
    with pytest.raises(pathspace.Error):
        s.loads(b"\x00\x01not a paths file", "paths")
    assert sorted(s) == ["(a)", "(b)"]  # what came before the error stays


@pytest.mark.parametrize("fmt", ["metta", "paths", "act", "snap"])
def test_save_and_load_every_format(tmp_path, fmt):
    s = pathspace.Space(ATOMS + [f"(n {i})" for i in range(1000)])
    f = str(tmp_path / f"x.{fmt}")
    s.save(f)
    t = pathspace.Space().load(f)
    assert t == s and list(t) == list(s)


def test_json_and_csv(tmp_path):
    s = pathspace.Space().loads('{"a": {"b": [1.50, "x y"]}, "t": true}', "json")
    # the JSON string "x y" is one symbol: its text says so, and reads back
    assert sorted(s) == ["(a (b (0 150e-2)))", "(a (b (1 x\\x20y)))", "(t true)"]
    assert pathspace.Space(list(s)) == s
    c = pathspace.Space().loads("x,y\n\n1,2\n", "csv")
    assert sorted(c) == ["(0 x y)", "(1 1 2)"]
    with pytest.raises(pathspace.Error) as e:
        pathspace.Space().loads('{"a": [1, }', "json")
    assert e.value.line == 1


def test_pobox_gives_mork_paths():
    j = pathspace.Space().load(data("pobox.json"))
    p = pathspace.Space().load(data("pobox.paths"))
    assert len(j) == 13 and j == p


def test_query_and_transform():
    s = pathspace.Space(ATOMS)
    assert s.query("(parent Bob $x)") == ["(parent Bob Ann)", "(parent Bob Liz)"]
    assert s.query("(, (parent $x $y) (parent $y $z))", "(grandparent $x $z)") == [
        "(grandparent Tom Ann)", "(grandparent Tom Liz)"]
    assert s.query("(parent $x $y)", "$y", limit=1) in (["Bob"], ["Ann"], ["Liz"])
    assert s.transform("(, (parent $p $c) (female $c))", "(daughter $c $p)") == 2
    assert "(daughter Liz Bob)" in s
    with pytest.raises(pathspace.Error):
        s.query("(parent $x", "$x")


def test_algebra():
    a = pathspace.Space(["(x 1)", "(x 2)", "(y 1)"])
    b = pathspace.Space(["(x 2)", "(z 3)"])
    assert sorted(a | b) == ["(x 1)", "(x 2)", "(y 1)", "(z 3)"]
    assert list(a & b) == ["(x 2)"]
    assert sorted(a - b) == ["(x 1)", "(y 1)"]
    pre = pathspace.Space()
    pre.add_path(pathspace.encode("(x 1)")[:3])  # the bytes of "(x": a prefix, no atom
    assert sorted(a.copy().restrict(pre)) == ["(x 1)", "(x 2)"]
    a -= b
    assert len(a) == 2


def test_persistent_space_survives_reopen(tmp_path):
    d = str(tmp_path / "ps")
    p = pathspace.open(d)
    for a in ATOMS:
        p.add(a)
    p.remove("(female Liz)")
    assert p.transform("(parent $x $y)", "(child $y $x)") == 3
    p.checkpoint()
    p.add("(after checkpoint)")
    with pytest.raises(TypeError):
        p |= pathspace.Space()
    p.close()
    q = pathspace.open(d)
    assert len(q) == 9 and "(after checkpoint)" in q and "(female Liz)" not in q
    assert q.query("(child Ann $x)") == ["(child Ann Bob)"]
    q.close()


def test_the_package_is_the_library_version():
    from pathspace._lib import lib
    assert lib.ps_version_string().decode() == pathspace.__version__


# Misuse raises, never crashes (each of these segfaulted or wrote a bad atom).
def test_closed_persistent_space_raises(tmp_path):
    p = pathspace.open(str(tmp_path / "kb"))
    p.add("(a 1)")
    it = iter(p)
    assert next(it) == "(a 1)"
    p.close()
    for call in (lambda: p.add("(b)"), lambda: p.remove("(a 1)"), p.checkpoint,
                 lambda: len(p), lambda: "(a 1)" in p, lambda: list(p)):
        with pytest.raises(ValueError, match="closed"):
            call()
    with pytest.raises(ValueError, match="closed"):
        next(it)
    p.close()  # twice is fine


def test_iterators_stop_when_the_space_changes():
    s = pathspace.Space(ATOMS)
    it = s.paths()
    next(it)
    s.clear()
    with pytest.raises(RuntimeError, match="changed"):
        next(it)
    s.update(ATOMS)
    it = iter(s)
    next(it)
    s.close()
    with pytest.raises(ValueError, match="closed"):
        next(it)
    with pytest.raises(ValueError, match="closed"):
        s.add("(x)")


def test_threads_share_a_space():
    import threading
    s = pathspace.Space()

    def work(k):
        for i in range(5000):
            s.add(f"(t {k} {i})")
            if i % 7 == 0:
                s.remove(f"(t {k} {i})")
            assert f"(t {k} 0)" not in s

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(s) == 4 * (5000 - 715)
    o = pathspace.Space(["(t 0 1)"])
    ts = [threading.Thread(target=lambda a=a, b=b: [a.union(b) for _ in range(200)])
          for a, b in ((s, o), (o, s))]  # locked in one order: no deadlock
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def test_malformed_byte_atoms_are_refused(tmp_path):
    s = pathspace.Space()
    for bad in (b"\xff", b"", b"\x02\xc1a", b"\xc1a\xc1b", b"\x01"):
        with pytest.raises(pathspace.Error):
            s.add(bad)
    assert len(s) == 0
    assert s.add(pathspace.encode("(ok)")) and s.add(b"\xc1z")
    p = pathspace.open(str(tmp_path / "kb"))
    with pytest.raises(pathspace.Error):
        p.add(b"\xff")
    p.add(b"\xc1z")
    p.close()
    p = pathspace.open(str(tmp_path / "kb"))
    assert list(p.paths()) == [b"\xc1z"]
    p.close()
    with pytest.raises(TypeError):
        s.add(42)


def _spec_programs():
    d = os.path.join(ROOT, "tests", "exec")
    return sorted(f[:-6] for f in os.listdir(d) if f.endswith(".metta"))


@pytest.mark.parametrize("name", _spec_programs())
def test_run_spec_programs(name, tmp_path):
    """The spec's 14 programs (tests/exec), through Space.run."""
    d = os.path.join(ROOT, "tests", "exec")
    s = pathspace.Space()
    s.load(os.path.join(d, name + ".metta"))
    r = s.run(act_dir=str(tmp_path))
    assert r.failed == 0
    want = open(os.path.join(d, name + ".out")).read().splitlines()
    assert list(s) == want


def test_run_budget_failures_and_persistence(tmp_path):
    s = pathspace.Space()
    s.load(os.path.join(ROOT, "tests", "exec", "01-counter.metta"))
    r = s.run(steps=1)
    assert (r.execs, r.steps) == (2, 1)  # MORK's off-by-one
    r = s.run(steps=1, exact=True)
    assert r.execs == 1
    s.add("(exec 0 (, (ctr $x)) (O (nosuch $x)))")
    r = s.run()
    assert r.failed == 1 and r.failures[0][1] == "sink" and "nosuch" in r.failures[0][2]
    p = pathspace.PersistentSpace(str(tmp_path / "ps"))
    p.load(os.path.join(ROOT, "tests", "exec", "02-peano.metta"))
    assert p.run().execs == 4
    p.close()
    p = pathspace.PersistentSpace(str(tmp_path / "ps"))
    assert list(p) == ["(result (S (S (S (S (S Z))))))", "(sum Z (S (S (S (S (S Z))))))"]
    p.close()
