"""A MORK-style workload (after MORK's python/aunt-kg.py): four genealogy
files, each imported under its own namespace, turned into (parent ...),
(male ...) and (female ...) facts by two-pattern transforms over HTTP,
exported, and checked against the same derivation by the query engine
directly (pathspace.Space, in this process)."""
import os

import pathspace
from conftest import data, in_files

DATASETS = ("royal92", "lordOfTheRings", "adameve", "simpsons")

# (patterns, templates) within a dataset's namespace, as aunt-kg.py has them
RULES = [
    (("(src (Individuals $i (Id $id)))", "(src (Individuals $i (Fullname $name)))"),
     ("(simple (hasName $id $name))", "(simple (hasId $name $id))")),
    (("(src (Individuals $i (Id $id)))", '(src (Individuals $i (Sex "M")))'),
     ("(simple (male $id))",)),
    (("(src (Individuals $i (Id $id)))", '(src (Individuals $i (Sex "F")))'),
     ("(simple (female $id))",)),
    (("(src (Relations $r (Husband $id)))", "(src (Relations $r (Children $lci $cid)))"),
     ("(simple (parent $id $cid))",)),
    (("(src (Relations $r (Wife $id)))", "(src (Relations $r (Children $lci $cid)))"),
     ("(simple (parent $id $cid))",)),
    (("(src (Relations $r (Husband $id)))", "(src (Relations $r (Children $cid)))"),
     ("(simple (parent $id $cid))",)),
    (("(src (Relations $r (Wife $id)))", "(src (Relations $r (Children $cid)))"),
     ("(simple (parent $id $cid))",)),
]


def derive_over_http(server, files, out):
    m = pathspace.MORK(server.url)
    with m.work_at("aunt-kg") as ins:
        for ds in DATASETS:
            with ins.work_at(ds) as scope:
                with scope.work_at("src") as src:
                    assert src.sexpr_import_("file://" + files[ds]).block() == ""
                for pats, tmpls in RULES:
                    assert scope.transform(pats, tmpls).block() == ""
        e = ins.sexpr_export("($dataset (simple $x))", "($dataset $x)", "file://" + out)
        assert e.response.status_code == 200, e.response.text
    return m


def derive_directly(files):
    want = pathspace.Space()
    for ds in DATASETS:
        scoped = pathspace.Space().load(files[ds]).select("$x", "(src $x)")
        for pats, tmpls in RULES:
            scoped.transform("(, " + " ".join(pats) + ")", "(, " + " ".join(tmpls) + ")")
        want |= scoped.select("(simple $x)", f"({ds} $x)")
    return want


def test_genealogy_workload(server, tmp_path):
    files = {ds: data(f"{ds}.metta") for ds in DATASETS}
    out = os.path.join(server.files, "simple_all.metta")
    m = derive_over_http(server, {ds: in_files(server, f) for ds, f in files.items()}, out)
    got = pathspace.Space().load(out)
    want = derive_directly(files)
    assert len(want) > 1000
    assert got == want, (len(got), len(want), sorted((got - want))[:3], sorted((want - got))[:3])
    for kind in ("parent", "male", "female"):
        assert any(f" ({kind} " in a for a in got), kind
    # the imported sources are all there too, each under its namespace
    sources = sum(len(pathspace.Space().load(files[ds])) for ds in DATASETS)
    assert m.work_at("aunt-kg").count() == sources + len(want)
