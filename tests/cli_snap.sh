#!/bin/sh
# Snapshots through the CLI: MeTTa files and MORK files survive X -> .snap ->
# X for every codec, priority and checksum; thread counts give the same
# bytes; dump/count/contains/stats/verify work in place; snapshots go
# through pipes; damage and cut files are reported with their offset and
# never leave a partial output.
. tests/lib.sh "$@"

# every_codec FILE: the dump survives a snapshot under each codec
every_codec() {
    n=$(basename "$1" .metta)
    "$P" dump "$1" > "$T/$n.0"
    for c in none lz4 zstd zlib; do
        "$P" convert -q "$1" "$T/$n.snap" --codec $c --chunk 4k
        "$P" verify "$T/$n.snap" | grep -q "ok: MTTS v1" || fail "$n $c verify"
        "$P" dump "$T/$n.snap" > "$T/$n.1"
        cmp "$T/$n.0" "$T/$n.1" || fail "$n: $c snapshot dump differs"
    done
    [ "$("$P" count "$T/$n.snap")" = "$("$P" count "$1")" ] || fail "$n count"
}

# paths_priorities PATHS COUNT: every priority and checksum; .paths -> .snap
# -> .paths exact; thread counts; ACT in between; in place; pipes
paths_priorities() {
    "$P" dump "$1" > "$T/p.0"
    for p in speed balanced size; do
        for k in xxh3 blake2b; do
            "$P" convert -q "$1" "$T/p.snap" --priority $p --checksum $k
            "$P" dump "$T/p.snap" > "$T/p.1"
            cmp "$T/p.0" "$T/p.1" || fail "$p $k"
        done
    done
    "$P" stats "$T/p.snap" | grep -q "^snapshot     MTTS v1, zstd level 19, blake2b" || fail "stats"
    "$P" convert -q "$T/p.snap" "$T/p.paths"
    "$P" dump "$T/p.paths" | cmp - "$T/p.0" || fail "snap -> paths"
    "$P" convert -q "$1" "$T/t1.snap" --threads 1 --chunk 64k
    "$P" convert -q "$1" "$T/t3.snap" --threads 3 --chunk 64k
    cmp "$T/t1.snap" "$T/t3.snap" || fail "threads change bytes"
    "$P" convert -q "$T/p.snap" "$T/p.act"
    "$P" convert -q "$T/p.act" "$T/p2.snap"
    "$P" dump "$T/p2.snap" | cmp - "$T/p.0" || fail "act -> snap"
    a=$(sed -n 777p "$T/p.0")
    "$P" contains "$T/p.snap" "$a" | grep -q yes || fail "contains"
    if "$P" contains "$T/p.snap" "(axiom nope)" >/dev/null; then fail "contains: absent atom found"; fi
    "$P" convert -q "$T/p.snap" - --to snap --codec lz4 > "$T/piped.snap"
    "$P" verify "$T/piped.snap" | grep -q "$2 paths" || fail "snapshot to a pipe"
    [ "$(cat "$T/piped.snap" | "$P" count -)" = "$2" ] || fail "snapshot on stdin"
}

# damage SNAP: a flipped byte names its chunk; a cut file is refused; no
# partial output; bad options refused before anything is written
damage() {
    cp "$1" "$T/bad.snap"
    printf '\377' | dd of="$T/bad.snap" bs=1 seek=5000 conv=notrunc 2>/dev/null
    if "$P" verify "$T/bad.snap" > "$T/err" 2>&1; then fail "flipped byte accepted"; fi
    grep -q "checksum mismatch" "$T/err" && grep -q "chunk 0 " "$T/err" || fail "damage message: $(cat "$T/err")"
    head -c 20000 "$1" > "$T/cut.snap"
    if "$P" convert "$T/cut.snap" "$T/out.metta" > "$T/err" 2>&1; then fail "cut file accepted"; fi
    grep -q "truncated" "$T/err" || fail "cut message: $(cat "$T/err")"
    [ ! -e "$T/out.metta" ] && [ -z "$(ls "$T" | grep tmp)" ] || fail "partial output left"
    if "$P" convert -q "$1" "$T/x.snap" --codec zlib --level 12 2>/dev/null; then fail "bad level accepted"; fi
    if "$P" convert -q "$1" "$T/x.snap" --chunk 100 2>/dev/null; then fail "bad chunk accepted"; fi
    [ ! -e "$T/x.snap" ] || fail "partial output after a bad option"
}

local_metta() {
    every_codec $E/family.metta
    gen_file 20000 6 "$T/gen.metta"
    every_codec "$T/gen.metta"
}

local_paths() {
    gen_file 60000 7 "$T/g.metta"
    "$P" convert -q "$T/g.metta" "$T/g.paths"
    paths_priorities "$T/g.paths" 60000
    G=tests/golden/paths/accept-unordered.paths
    "$P" convert -q $G "$T/u.snap"
    "$P" dump "$T/u.snap" | cmp - tests/golden/paths/accept-unordered.dump || fail "unordered .paths"
    damage "$T/p.snap"
}

real_metta() {
    need_data royal92.metta
    for f in $D/*.metta; do every_codec "$f"; done
}

real_paths() {
    need_data big_logic.metta.paths pobox.paths
    paths_priorities $D/big_logic.metta.paths 91692
    "$P" convert -q $D/pobox.paths "$T/pb.snap"
    [ "$("$P" count "$T/pb.snap")" = 13 ] || fail "pobox count"
    damage "$T/p.snap"
}

tcase local_metta local_metta
tcase local_paths local_paths
tcase real_metta real_metta
tcase real_paths real_paths
finish
