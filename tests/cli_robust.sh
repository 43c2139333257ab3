#!/bin/sh
# Interfaces that do not mislead, and files and signals that change under
# a running command: an over-long command line is refused whole; store
# verify fails on bad refs; errors keep their detail (ENOSPC, offsets, a
# newer checkpoint named as newer); SIGTERM, SIGBUS and a file-size limit
# leave no temporary file, and a file cut short while it is read gives an
# error naming it, not a crash.
. tests/lib.sh "$@"

long_line() {
    K="$T/space"
    # a line past the 1 MiB limit that holds "remove" further on: refused
    # whole, never run as two commands; --strict ends the session there
    # (exit 1), and without it the next line still runs (exit 1 all the same)
    { printf 'add (kept)\nadd '; head -c 1100000 /dev/zero | tr '\0' 'a'; printf 'remove (kept)\ncount\n'; } >"$T/in"
    "$P" open "$K" --strict < "$T/in" > "$T/o" 2> "$T/e" && fail "an over-long line passed"
    grep -q '^changed 1 seq 1 atoms 1$' "$T/o" && [ "$(wc -l < "$T/o")" = 1 ] ||
        fail "answers: $(head -c 200 "$T/o")"
    grep -q "longer than 1048576 bytes: refused whole" "$T/e" && grep -q "(stdin line 2)" "$T/e" ||
        fail "message: $(cat "$T/e")"
    "$P" open "$K" < "$T/in" > "$T/o" 2>/dev/null && fail "an over-long line passed (not strict)"
    [ "$(tail -n 1 "$T/o")" = 1 ] || fail "not strict: the count after it: $(head -c 200 "$T/o")"
    printf 'contains (kept)\n' | "$P" open "$K" 2>/dev/null | grep -q '^yes$' || fail "(kept) lost"
    # a 64 KiB line is fine (it used to be cut into two commands)
    { printf 'add (x '; head -c 65600 /dev/zero | tr '\0' 'b'; printf ')\n'; } |
        "$P" open "$K" > "$T/o" 2>/dev/null || fail "a 64 KiB atom"
    grep -q '^changed 1 seq ' "$T/o" || fail "64 KiB: $(head -c 100 "$T/o")"
}

verify_refs() {
    S="$T/store"
    id=$("$P" store put "$S" $E/family.metta --ref good | cut -d' ' -f1)
    "$P" store verify "$S" | grep -q "1 objects, 0 bad; 1 refs, 0 bad; 0 strays" || fail "clean verify"
    echo "sha256:$(printf '%064d' 0)" > "$S/refs/dangling"
    echo "garbage" > "$S/refs/garbage"
    ln -s /etc/passwd "$S/refs/link"
    if "$P" store verify "$S" > "$T/o" 2>&1; then fail "verify passed bad refs"; fi
    grep -q "1 objects, 0 bad; 3 refs, 2 bad; 1 strays" "$T/o" || fail "counts: $(cat "$T/o")"
    grep -q "ref dangling names sha256:0000" "$T/o" || fail "dangling: $(cat "$T/o")"
    grep -q "ref garbage does not hold an object id" "$T/o" || fail "garbage"
    grep -q "not a ref (a symlink (never followed)): refs/link" "$T/o" || fail "symlink: $(cat "$T/o")"
    if "$P" store gc "$S" 2>"$T/e"; then fail "gc ran past an unreadable ref"; fi
    grep -q "ref garbage does not hold an object id" "$T/e" || fail "gc message: $(cat "$T/e")"
    if "$P" store ref "$S" ghost "sha256:$(printf '%064d' 1)" 2>/dev/null; then fail "a ref to nothing"; fi
}

error_detail() {
    if "$P" convert -q $E/family.metta - --to snap > /dev/full 2>"$T/e"; then fail "/dev/full"; fi
    grep -q "No space left on device" "$T/e" || fail "ENOSPC lost: $(cat "$T/e")"
    if "$P" dump $E/family.metta > /dev/full 2>"$T/e"; then fail "/dev/full dump"; fi
    grep -q "No space left on device" "$T/e" || fail "ENOSPC lost (dump): $(cat "$T/e")"
    # damage at an ACT's root record: named with its offset
    "$P" convert -q $E/family.metta "$T/f.act" --skip-extended
    root=$(od -An -tu8 -j8 -N8 "$T/f.act" | tr -d ' ')
    printf '\077' | dd of="$T/f.act" bs=1 seek="$root" conv=notrunc 2>/dev/null
    if "$P" dump "$T/f.act" > /dev/null 2>"$T/e"; then fail "damaged root"; fi
    grep -q "at offset $root" "$T/e" || fail "no offset: $(cat "$T/e")"
    # a newer build's checkpoint is called newer, not bad
    K="$T/space"
    printf 'add (a)\ncheckpoint\nadd (b)\n' | "$P" open "$K" >/dev/null 2>&1
    newest=$("$P" store ls "$K/store" 2>/dev/null | sort | tail -n 1 | awk '{print $2}')
    hex=${newest#sha256:}
    obj="$K/store/sha256/$(echo "$hex" | cut -c1-2)/$hex"
    chmod u+w "$obj"
    printf '\002' | dd of="$obj" bs=1 seek=8 conv=notrunc 2>/dev/null
    "$P" checkpoint ls "$K" | grep -q "written by a newer pathspace (format 2)" || fail "ls"
    if printf 'count\n' | "$P" open "$K" >/dev/null 2>"$T/e"; then fail "opened past a newer checkpoint"; fi
    grep -q "written by a newer pathspace" "$T/e" || fail "open message: $(cat "$T/e")"
    printf 'count\n' | "$P" open "$K" --past-newer 2>/dev/null | grep -q '^2$' || fail "--past-newer"
}

signals() {
    gen_file 2000000 1 "$T/big.metta"
    # SIGTERM mid-convert: no OUT, no OUT.tmp.PID
    "$P" convert -q "$T/big.metta" "$T/out.snap" & pid=$!
    sleep 0.3
    kill -TERM $pid 2>/dev/null
    wait $pid && fail "convert finished before the signal (a slower machine would not)"
    [ -z "$(ls "$T" | grep 'out\.snap')" ] || fail "left: $(ls "$T")"
    # SIGBUS (what a mapped input cut short raises): named, cleaned up
    "$P" convert -q "$T/big.metta" "$T/out2.snap" & pid=$!
    sleep 0.3
    kill -BUS $pid 2>/dev/null
    rc=0
    wait $pid || rc=$?
    [ $rc -eq 1 ] || fail "SIGBUS: exit $rc"
    [ -z "$(ls "$T" | grep 'out2\.snap')" ] || fail "left after SIGBUS: $(ls "$T")"
    # a file-size limit: an error (EFBIG), not SIGXFSZ; no temp file left
    S="$T/store"
    rc=0
    sh -c 'ulimit -f 100; exec "$@"' sh "$P" store put "$S" "$T/big.metta" 2>"$T/e" || rc=$?
    [ $rc -eq 1 ] || fail "store put under ulimit -f: exit $rc ($(cat "$T/e"))"
    grep -q "File too large" "$T/e" || fail "EFBIG lost: $(cat "$T/e")"
    [ -z "$(ls "$S/temp")" ] || fail "temp file left: $(ls "$S/temp")"
    # an input cut short while it is read: an error naming it, or a clean
    # read of what was there; never a crash
    cp "$T/big.metta" "$T/cut.metta"
    "$P" dump "$T/cut.metta" > /dev/null 2>"$T/e" & pid=$!
    truncate -s 1000 "$T/cut.metta"
    rc=0
    wait $pid || rc=$?
    [ $rc -lt 128 ] || fail "dump of a shrinking file died of signal $((rc - 128))"
    [ $rc -eq 0 ] || grep -q "cut.metta" "$T/e" || fail "no file name: $(cat "$T/e")"
}

tcase long_line long_line
tcase verify_refs verify_refs
tcase error_detail error_detail
tcase signals signals
finish
