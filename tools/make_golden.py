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


def symbol_text(b):
    """A symbol in pathspace's lossless text (docs/encoding.md), written
    from the spec here, not from the C code: as it is when it re-parses to
    itself, else with \\xNN for each byte that would not."""
    def quoted_ok(b):
        i = 1
        while i < len(b):
            c = b[i]
            if c == 0x5C:
                i += 1
                if i == len(b):
                    return False
                c = b[i]
            elif c == 0x22:
                return i + 1 == len(b) and b"\r\n" not in b and ok_bytes(b)
            i += 1
        return False

    def ok_bytes(b):
        try:
            t = b.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return not any((ord(ch) < 0x20 and ch not in "\t\n") or ord(ch) == 0x7F for ch in t)

    if b[:1] == b'"' and quoted_ok(b):
        return b.decode()
    out, i = [], 0
    while i < len(b):
        c = b[i]
        k = 1
        if c >= 0x80:  # the longest valid UTF-8 sequence here, or none
            k = next((n for n in (4, 3, 2) if _utf8(b[i:i + n])), 0)
        bad = (k == 0 or c < 0x21 or c in b"()" or c == 0x7F or (i == 0 and c in b'$";') or
               (c == 0x5C and len(b) - i >= 4 and b[i + 1] == 0x78 and
                all(ch in b"0123456789abcdefABCDEF" for ch in b[i + 2:i + 4])))
        if bad:
            out.append("\\x%02X" % c)
            i += 1
        else:
            out.append(b[i:i + k].decode())
            i += k
    return "".join(out)


def _utf8(b):
    try:
        return len(b.decode("utf-8")) == 1
    except UnicodeDecodeError:
        return False


def text(a, i=0, nv=None):
    """The printer (an oracle for the dump and for tests): lists, symbols
    short and long, variables named by level ($a..$j, $x10..$x63)."""
    nv = [0] if nv is None else nv
    name = lambda k: "$" + (chr(ord("a") + k) if k < 10 else "x%d" % k)
    t = a[i]
    if t < 0x40:
        parts, i = [], i + 1
        for _ in range(t):
            s, i = text(a, i, nv)
            parts.append(s)
        return "(" + " ".join(parts) + ")", i
    if t == 0x41:
        n = int.from_bytes(a[i + 1:i + 5], "big")
        return symbol_text(a[i + 5:i + 5 + n]), i + 5 + n
    if t == 0xC0:
        nv[0] += 1
        return name(nv[0] - 1), i + 1
    if t < 0xC0:
        return name(t & 63), i + 1
    n = t - 0xC0
    return symbol_text(a[i + 1:i + 1 + n]), i + 1 + n


# Records a JSON import writes: not sorted, symbols holding spaces and
# punctuation (escaped in the dump, so that it re-parses to them).
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
    import sys
    if sys.argv[1:] != ["--accept-only"]:
        act_corpus("tests/golden/act")
        paths_corpus("tests/golden/paths")
    accept_paths("tests/golden/paths")
