"""pathspace.Client (MORK's client) against `pathspace serve --http`,
which the fixture starts."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request

import pytest

import pathspace
from conftest import ROOT, data, in_files


def test_upload_download_namespaces(server):
    m = pathspace.MORK(server.url)
    a, b = m.work_at("a"), m.work_at("b")
    a.upload_("(foo 1)\n(foo 2)\n")
    b.upload_("(foo 3)")
    assert a.download_().data.splitlines() == ["(foo 1)", "(foo 2)"]
    assert b.download_().data.splitlines() == ["(foo 3)"]
    assert m.download_().data.splitlines() == ["(a (foo 1))", "(a (foo 2))", "(b (foo 3))"]
    assert a.download("(foo $x)", "$x").data.split() == ["1", "2"]
    assert a.download_(max_results=1).data.count("\n") == 1
    assert a.count() == 2 and m.count() == 3
    with a.work_at("deeper").and_clear() as d:
        d.upload_("(bar)")
        assert d.download_().data == "(bar)\n"
    assert a.download_().data.count("\n") == 2  # and_clear emptied only (a (deeper ...))
    m.work_at("a").clear().block()
    assert m.download_().data == "(b (foo 3))\n"
    assert m.status("$x") == {"status": "countResult", "count": 3}  # set by m.count()
    assert m.work_at("b").status() == {"status": "pathClear"}


def test_transform_blocks_until_done(server):
    m = pathspace.MORK(server.url).work_at("kg")
    m.upload_("(parent Tom Bob)\n(parent Bob Ann)\n(parent Bob Liz)\n")
    t = m.transform(("(parent $x $y)", "(parent $y $z)"), ("(grandparent $x $z)",))
    assert t.response.text == "ACK. Tranform dispatched"
    assert t.block() == ""
    assert m.download("(grandparent $x $y)", "($x $y)").data.splitlines() == ["(Tom Ann)",
                                                                            "(Tom Liz)"]


def test_import_export_files(server):
    tmp_path = pathlib.Path(server.files)
    src = tmp_path / "in.metta"
    src.write_text("(edge 1 2)\n(edge 2 3)\n")
    m = pathspace.MORK(server.url)
    g = m.work_at("g")
    assert g.sexpr_import_(f"file://{src}").block() == ""
    out = tmp_path / "out.metta"
    e = g.sexpr_export("(edge $a $b)", "(e $b $a)", f"file://{out}")
    assert e.response.text == f'Output written to file: "{out}"'
    assert out.read_text().splitlines() == ["(e 2 1)", "(e 3 2)"]
    pf = tmp_path / "out.paths"
    g.paths_export_(f"file://{pf}")
    assert g.work_at("copy").paths_import_(f"file://{pf}").block() == ""
    assert m.download("(g (copy $x))", "$x").data.count("\n") == 2
    csv = tmp_path / "t.csv"
    csv.write_text("a,b\nc,d\n")
    assert m.work_at("csv").csv_import_(f"file://{csv}").block() == ""
    assert m.download("(csv $x)", "$x").data.splitlines() == ["(0 a b)", "(1 c d)"]


def test_import_errors_raise(server, tmp_path):
    m = pathspace.MORK(server.url)
    outside = tmp_path / "outside.metta"
    outside.write_text("(x)\n")
    with pytest.raises(RuntimeError, match="fetchError.*not beneath"):
        m.work_at("w").sexpr_import_(f"file://{outside}").block()
    tmp_path = pathlib.Path(server.files)
    with pytest.raises(RuntimeError, match="fetchError"):
        m.work_at("w").sexpr_import_("https://example.org/x.metta").block()
    with pytest.raises(RuntimeError, match="fetchError"):
        m.work_at("w").sexpr_import_(f"file://{tmp_path}/missing.metta").block()
    bad = tmp_path / "bad.metta"
    bad.write_text("(ok)\n(not closed\n")
    with pytest.raises(RuntimeError, match="parseError.*2:"):
        m.work_at("w").sexpr_import_(f"file://{bad}").block()
    with pytest.raises(RuntimeError, match="upload: HTTP 400"):
        m.upload_("(a")


def test_json_import_pobox(server):
    tmp_path = server.files
    m = pathspace.MORK(server.url)
    assert m.json_import_("file://" + in_files(server, data("pobox.json"))).block() == ""
    m.paths_export_(f"file://{tmp_path}/pobox.paths")  # exact bytes: its symbols hold spaces
    got = pathspace.Space().load(f"{tmp_path}/pobox.paths")
    want = pathspace.Space().load(data("pobox.paths"))
    assert len(got) == 13 and got == want


def test_explore_reaches_every_atom(server):
    m = pathspace.MORK(server.url)
    atoms = [f"(item {i} {c})" for i in range(12) for c in "ab"]
    m.upload_("\n".join(atoms))
    top = m.explore_()
    leaves = set()
    for level in top.levels():
        for node in level:  # an atom alone is answered with an empty token
            leaves.update(d["expr"] for d in node.data if not d["token"])
    assert leaves == set(atoms)


def test_status_stream(server):
    m = pathspace.MORK(server.url).work_at("s")
    m.upload_("(x 1)")
    c = m.Count(m.ns.format("$x"))
    m._run(c)
    events = list(c.listen())
    assert events[-1] == {"status": "countResult", "count": 1}


def test_kill9_keeps_acknowledged_uploads(start_server, tmp_path):
    d = str(tmp_path / "kd")
    s = start_server(directory=d)
    m = pathspace.MORK(s.url)
    for i in range(50):
        m.work_at("k").upload_(f"(n {i})")
    s.stop(signal.SIGKILL)
    s2 = start_server(directory=d)
    assert pathspace.MORK(s2.url).work_at("k").count() == 50


def test_token(start_server, tmp_path):
    tf = tmp_path / "token"
    tf.write_text("s3cret\n")
    s = start_server("--token-file", str(tf))
    with pytest.raises(ConnectionError):
        pathspace.MORK(s.url, token="wrong")
    m = pathspace.MORK(s.url, token="s3cret")
    m.upload_("(ok)")
    assert m.download_().data == "(ok)\n"


def free_port():
    """tools/freeport.py's pick: below the ephemeral range, which clients'
    connects draw from, so no client takes it before the server binds it."""
    return int(subprocess.run([sys.executable, os.path.join(ROOT, "tools", "freeport.py")],
                              capture_output=True, text=True, check=True).stdout)


def test_managed_mork_starts_and_stops_a_server():
    """No server at url: one starts there (the URL's port), and leaves
    nothing behind: its temporary space and logs go when it stops."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pathspace.ManagedMORK.connect(url=url).and_terminate() as srv:
        assert srv.base == url
        srv.upload_("(managed)")
        assert srv.download_().data == "(managed)\n"
        assert pathspace.MORK(url).download_().data == "(managed)\n"  # a second client
        p, tmp = srv.process, srv.tmp
        assert os.path.isdir(tmp)
    assert p.returncode == 0
    assert not os.path.exists(tmp)


def test_managed_mork_cleans_up_at_exit(tmp_path):
    """Not terminated by the script: the server stops, and its directory
    goes, when the Python process exits."""
    code = ("import pathspace; m = pathspace.ManagedMORK.connect(url='http://127.0.0.1:%d');"
            "m.upload_('(x)'); print(m.tmp)" % free_port())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    assert out.returncode == 0, out.stderr
    tmp = out.stdout.strip()
    assert tmp.startswith(tempfile.gettempdir()) and not os.path.exists(tmp)


def test_mork_client_mm2_demo(server):
    """MORK's client's own MM2 demo (_main_mm2 in its python/client.py):
    upload, transform into a thread, exec, listen, download."""
    m = pathspace.MORK(server.url)
    m.upload_("(data (foo 1))\n(data (foo 2))\n(_exec 0 (, (data (foo $x))) (, (data (bar $x))))")
    m.transform(("(_exec $priority $p $t)",), ("(exec (test $priority) $p $t)",)).listen()
    events = list(m.exec(thread_id="test").listen())
    assert events[-1]["status"] == "pathClear"
    assert m.download_().data.splitlines() == [
        "(data (bar 1))", "(data (bar 2))", "(data (foo 1))", "(data (foo 2))",
        "(_exec 0 (, (data (foo $a))) (, (data (bar $a))))"]


def test_mork_client_exec_in_namespace_and_errors(server):
    m = pathspace.MORK(server.url)
    ns = m.work_at("w")
    ns.upload_("(n 1)\n(n 2)\n")
    # a namespace's thread is (w *): its atoms are (exec ((w *) PRIO) ...)
    m.upload_("(exec ((w *) 0) (, (w (n $x))) (, (w (m $x))))")
    assert ns.exec().block() == ""
    assert ns.download_().data.splitlines() == ["(m 1)", "(m 2)", "(n 1)", "(n 2)"]
    m.upload_("(exec (bad 0) (, (a $x)) (O (nosuch $x)))")
    meta = m.exec("bad").block()
    assert meta["status"] == "execError" and "sink" in meta["message"]
    r = pathspace.MORK.Exec(None).dispatch(m).response
    assert r.status_code == 501
