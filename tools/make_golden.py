#!/usr/bin/env python3
"""make_golden.py - regenerate the must-reject corpora under tests/golden/.

act/:   every truncation of the spec's worked example (keys ab, abc, b) and
        hand-made structural damage (offsets out of range, a zero distance
        (a cycle), a count over 32, a line of length 0, a truncated varint,
        unordered child bytes, bad headers, a broken merge trailer).
paths/: every truncation of a small .paths file, every single-byte flip
        (XOR 0xFF) that Python's own zlib refuses or decodes differently
        (an independent oracle: flips in deflate's unused padding bits carry
        nothing and are not listed), trailing garbage, records running past
        the data, gzip truncations. And one file that must decode:
        accept-unordered.paths, unsorted records with symbols holding
        spaces (what MORK's JSON import writes), with the dump expected of
        it (accept-unordered.dump, printed by this script).
Run from the project root: python3 tools/make_golden.py
"""
import gzip, os, struct, zlib

ACT = bytes.fromhex("4143547265653033" "1D00000000000000"
                    "40000162410004638104064000020561620000000000000000")
HARM = [(0, ord('X')), (8, 0x05), (8, 0xF0), (29, 0x21), (30, 0x00), (30, 0xF0),
        (18, 0x00), (26, 0x00), (24, 0xC1), (24, 0x86), (31, 0x62), (21, 0xFF)]


def put(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def act_corpus(d):
    out = [ACT[:cut] for cut in range(len(ACT))]
    for at, b in HARM:
        out.append(ACT[:at] + bytes([b]) + ACT[at + 1:])
    # merge trailers: previous root past the trailer; chain pointing forward
    base = ACT[:-8] + b"\0" * 8
    out.append(base + struct.pack("<QQ", 0, 4000))
    out.append(base + struct.pack("<QQ", 9999, 29))
    for i, data in enumerate(out):
        put(d, "reject-%03d.act" % i, data)


def records(paths):
    return b"".join(struct.pack("<I", len(p)) + p for p in paths)


def refuses(data):
    try:
        z = zlib.decompressobj()
        got = z.decompress(data)
        return not z.eof or z.unused_data or got != RAW
    except zlib.error:
        return True


RAW = records([b"ab", b"abc", b"b", b"(parent (Tom) $x $x)"])


def paths_corpus(d):
    good = zlib.compress(RAW, 7)
    out = [good[:cut] for cut in range(len(good))]
    for at in range(len(good)):
        flip = good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1:]
        if refuses(flip):
            out.append(flip)
    out.append(good + b"\0")
    out.append(good + good)
    out.append(zlib.compress(records([b"ab"]) + struct.pack("<I", 100) + b"xyz", 7))
    out.append(zlib.compress(RAW + b"\x01\x00", 7))
    gz = gzip.compress(RAW, mtime=0)
    out += [gz[:cut] for cut in range(2, len(gz), 3)]
    out.append(RAW)  # not compressed
    for i, data in enumerate(out):
        put(d, "reject-%03d.paths" % i, data)


def sym(b):
    assert 0 < len(b) < 64
    return bytes([0xC0 + len(b)]) + b


def lst(*kids):
    return bytes([len(kids)]) + b"".join(kids)


def text(a, i=0):
    """MORK's printer for lists and symbols (an oracle for the dump)."""
    t = a[i]
    if t < 0x40:
        parts, i = [], i + 1
        for _ in range(t):
            s, i = text(a, i)
            parts.append(s)
        return "(" + " ".join(parts) + ")", i
    n = t - 0xC0
    return a[i + 1:i + 1 + n].decode(), i + 1 + n


# Records a JSON import writes: not sorted, symbols holding spaces and
# punctuation (printed raw, so the dump does not re-parse to them).
UNORDERED = [
    lst(sym(b"contact"), lst(sym(b"name"), sym(b"Lovelace, Ada"))),
    lst(sym(b"contact"), lst(sym(b"org"), sym(b"Analytical Engines, Ltd."))),
    lst(sym(b"contact"), lst(sym(b"address"), sym(b"12 St James's Square, London SW1"))),
    lst(sym(b"contact"), lst(sym(b"phone"), lst(sym(b"0"), sym(b"+44 20 7946 0958")))),
    lst(sym(b"contact"), lst(sym(b"phone"), lst(sym(b"1"), sym(b"+44 20 7946 0000")))),
    lst(sym(b"contact"), lst(sym(b"born"), sym(b"1815-12-10T00:00:00.000Z"))),
    lst(sym(b"contact"), lst(sym(b"active"), sym(b"false"))),
    lst(sym(b"meta"), lst(sym(b"source"), sym(b"a JSON export"))),
]


def accept_paths(d):
    put(d, "accept-unordered.paths", zlib.compress(records(UNORDERED), 6))
    lines = sorted(UNORDERED)
    with open(os.path.join(d, "accept-unordered.dump"), "w") as f:
        for a in lines:
            f.write(text(a)[0] + "\n")


if __name__ == "__main__":
    act_corpus("tests/golden/act")
    paths_corpus("tests/golden/paths")
    accept_paths("tests/golden/paths")
