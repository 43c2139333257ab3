#!/usr/bin/env python3
"""exec_ref.py PATHSPACE [N] [SEED] - random exec programs, run by `pathspace
run` and by the small reference interpreter below (written from MORK's MM2
spec, mork-mm2.md sections 0, 1 and 3, independently of the C code; it reads
no file), which must end with the same space, byte for byte. Covers the loop
(smallest exec first, removal before the step, a rule seeing itself, the
budget's off-by-one), plain patterns with shared and data variables,
unification with renaming apart and the occurs check, fresh template
variables, (,) and (O + -) templates with removal winning. Prints one line
per mismatch and "N passed, N failed"."""
import random
import subprocess
import sys
import tempfile
import os


class Var:
    __slots__ = ("name", "scope")

    def __init__(self, name, scope=0):
        self.name, self.scope = name, scope

    def __eq__(self, o):
        return isinstance(o, Var) and (self.name, self.scope) == (o.name, o.scope)

    def __hash__(self):
        return hash((self.name, self.scope))


def encode(t, seen=None):
    """MORK's encoding, variables numbered by first occurrence."""
    if seen is None:
        seen = {}
    if isinstance(t, Var):
        if t in seen:
            return bytes([0x80 | seen[t]])
        seen[t] = len(seen)
        return b"\xc0"
    if isinstance(t, str):
        b = t.encode()
        return bytes([0xC0 | len(b)]) + b
    return bytes([len(t)]) + b"".join(encode(c, seen) for c in t)


NAMES = "abcdefghij"


def show(t, seen=None):
    if seen is None:
        seen = {}
    if isinstance(t, Var):
        if t not in seen:
            seen[t] = len(seen)
        k = seen[t]
        return "$" + (NAMES[k] if k < 10 else "x%d" % k)
    if isinstance(t, str):
        return t
    return "(" + " ".join(show(c, seen) for c in t) + ")"


def rename(t, scope):
    if isinstance(t, Var):
        return Var(t.name, scope)
    if isinstance(t, str):
        return t
    return tuple(rename(c, scope) for c in t)


def walk(t, s):
    while isinstance(t, Var) and t in s:
        t = s[t]
    return t


def occurs(v, t, s):
    t = walk(t, s)
    if t == v:
        return True
    return isinstance(t, tuple) and any(occurs(v, c, s) for c in t)


def unify(a, b, s):
    a, b = walk(a, s), walk(b, s)
    if a == b:
        return s
    if isinstance(a, Var):
        if occurs(a, b, s):
            return None
        s = dict(s)
        s[a] = b
        return s
    if isinstance(b, Var):
        return unify(b, a, s)
    if isinstance(a, str) or isinstance(b, str) or len(a) != len(b):
        return None
    for x, y in zip(a, b):
        s = unify(x, y, s)
        if s is None:
            return None
    return s


def subst(t, s):
    t = walk(t, s)
    if isinstance(t, tuple):
        return tuple(subst(c, s) for c in t)
    return t


EXEC = bytes([4, 0xC4]) + b"exec"


def run(atoms, steps):
    space = {encode(a): a for a in atoms}
    done = 0
    while True:
        execs = sorted(k for k in space if k.startswith(EXEC))
        if not execs:
            return space
        xk = execs[0]
        x = space.pop(xk)
        snapshot = dict(space)
        snapshot[xk] = x
        step(space, snapshot, x)
        if done < steps:
            done += 1
        else:
            return space


def step(space, R, x):
    _, loc, pats, tpls = x
    rows = [R[k] for k in sorted(R)]
    factors = list(pats[1:])
    sols = []

    def go(i, s, scope):
        if i == len(factors):
            sols.append(s)
            return
        for a in rows:
            s2 = unify(factors[i], rename(a, scope), s)
            if s2 is not None:
                go(i + 1, s2, scope + 1)

    go(0, {}, 1)
    adds, removes = {}, {}
    sinks = tpls[0] == "O"
    for s in sols:
        for t in tpls[1:]:
            kind, body = (t[0], t[1]) if sinks else ("+", t)
            inst = subst(body, s)
            if occurs_cycle(inst):
                continue
            (adds if kind == "+" else removes)[encode(inst)] = inst
    space.update(adds)
    for k in removes:
        space.pop(k, None)


def occurs_cycle(t):
    return False  # subst with an occurs-checked unifier never cycles


# ------------------------------------------------------------ generation

SYMS = ["a", "b", "c"]


def rand_term(r, vars_, depth=0):
    k = r.random()
    if vars_ and k < 0.35:
        return r.choice(vars_)
    if depth < 2 and k > 0.85:
        return ("f", rand_term(r, vars_, depth + 1))
    return r.choice(SYMS)


def rand_atom(r, vars_):
    pred = r.choice(["p", "q", "r"])
    return (pred,) + tuple(rand_term(r, vars_) for _ in range(r.randint(1, 2)))


def rand_program(r):
    atoms = []
    for _ in range(r.randint(2, 7)):
        dv = [Var("d%d" % i) for i in range(2)] if r.random() < 0.2 else []
        atoms.append(rand_atom(r, dv))
    for e in range(r.randint(1, 3)):
        vs = [Var("x%d" % i) for i in range(3)]
        pats = [rand_atom(r, vs) for _ in range(r.randint(0, 3))]
        if r.random() < 0.15:
            pats.append(("exec", Var("l"), Var("pp"), Var("tt")))
        tv = vs + [Var("fresh")]
        loc = r.choice(["0", "1", "2", "9", "10", ("1",), ("z", "a")])
        if r.random() < 0.4:
            sk = [(r.choice(["+", "+", "-"]), rand_atom(r, tv)) for _ in range(r.randint(0, 3))]
            if r.random() < 0.3:  # write itself back: runs until the budget
                sk.append(("+", ("exec", loc, (",",) + tuple(pats), ("O",) + tuple(sk))))
            tpls = ("O",) + tuple(sk)
        else:
            tpls = (",",) + tuple(rand_atom(r, tv) for _ in range(r.randint(0, 3)))
        atoms.append(("exec", loc, (",",) + tuple(pats), tpls))
    return atoms


def main():
    ps = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    r = random.Random(seed)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            prog = rand_program(r)
            steps = r.choice([0, 1, 3, 20])
            src = os.path.join(d, "p.metta")
            with open(src, "w") as f:
                f.write("\n".join(show(a) for a in prog) + "\n")
            want = run(prog, steps)
            want_text = "".join(show(want[k]) + "\n" for k in sorted(want))
            p = subprocess.run([ps, "run", src, "--steps", str(steps)], capture_output=True)
            got = p.stdout.decode("utf-8", "replace")
            if p.returncode != 0 or got != want_text:
                failed += 1
                if failed <= 5:
                    print("FAIL program %d (--steps %d):\n%s--- pathspace (exit %d):\n%s--- reference:\n%s%s"
                          % (i, steps, open(src).read(), p.returncode, got, want_text,
                             p.stderr.decode()[-500:]))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
