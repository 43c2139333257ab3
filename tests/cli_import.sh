#!/bin/sh
# pathspace import of JSON, JSON Lines and CSV (MORK's mappings,
# docs/json-csv.md): local files through every output format, MORK's own
# pobox.paths for pobox.json, and errors with file:line:column.
. tests/lib.sh "$@"

local_files() {
    printf '{"a": {"b": ["x", 1.50]}, "t": true}' >"$T/a.json"
    printf '{"k": 1}\n\n"s"\n' >"$T/a.jsonl"
    printf 'name,age\n"Smith, J",42\n' >"$T/a.csv"
    "$P" import "$T/a.json" "$T/a.jsonl" "$T/a.csv" -o "$T/all.snap" --quiet
    "$P" dump "$T/all.snap" >"$T/got"
    sort >"$T/want" <<'W'
(0 name age)
(1 Smith,\x20J 42)
(JSONL 0 (k 1))
(JSONL 1 s)
(a (b (0 x)))
(a (b (1 150e-2)))
(t true)
W
    sort "$T/got" | cmp - "$T/want" || fail "got $(cat "$T/got")"
    "$P" import "$T/a.json" -o "$T/a.paths" --quiet
    [ "$("$P" count "$T/a.paths")" = 3 ] || fail ".paths"
    "$P" import --from json - -o - <"$T/a.json" | grep -q '^(t true)$' || fail "stdin --from json"
}

errors() {
    printf '{\n  "a": [1, 2,]\n}' >"$T/bad.json"
    if "$P" import "$T/bad.json" -o "$T/out.metta" 2>"$T/err"; then fail "bad JSON taken"; fi
    grep -q "bad.json:2:15: parse error" "$T/err" || fail "message: $(cat "$T/err")"
    [ ! -e "$T/out.metta" ] || fail "output left behind"
    printf 'a,b\n"c,d\n' >"$T/bad.csv"
    if "$P" import "$T/bad.csv" -o - 2>"$T/err"; then fail "bad CSV taken"; fi
    grep -q 'bad.csv:2:1: row 1 (numbered from 0), field 1: a quoted field is never closed' "$T/err" ||
        fail "message: $(cat "$T/err")"
    printf 'a,b\n' >"$T/ok.csv"
    if "$P" import "$T/ok.csv" -o "$T/a.json" 2>"$T/err"; then fail "JSON written"; fi
    grep -q "json is read, not written" "$T/err" || fail "refusal: $(cat "$T/err")"
    [ ! -e "$T/a.json" ] || fail "a JSON output left behind"
}

real_pobox() {
    need_data pobox.json pobox.paths
    "$P" import "$D/pobox.json" -o "$T/pobox.paths" --quiet
    "$P" subtract "$T/pobox.paths" "$D/pobox.paths" -o "$T/d1.metta" 2>/dev/null
    "$P" subtract "$D/pobox.paths" "$T/pobox.paths" -o "$T/d2.metta" 2>/dev/null
    [ "$("$P" count "$T/pobox.paths")" = 13 ] || fail "not 13 atoms"
    [ ! -s "$T/d1.metta" ] && [ ! -s "$T/d2.metta" ] || fail "differs from MORK's pobox.paths"
}

tcase local_files local_files
tcase errors errors
tcase real_pobox real_pobox
finish
