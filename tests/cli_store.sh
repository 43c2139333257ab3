#!/bin/sh
# The blob store, checkpoints and persistent spaces through the CLI: put/get
# round trips under every hash, dedup, a damaged object refused with no
# output left behind, hostile ids and ref names, gc; a persistent space
# survives close, a kill, a damaged newest checkpoint (fallback, reported)
# and a torn log tail; checkpoint ls/restore/prune; a second opener is
# refused.
. tests/lib.sh "$@"

store_cli() {
S="$T/store"
F=$E/family.metta
for h in sha256 blake2bp xxh128; do
    id=$("$P" store put "$S" $F --hash $h | cut -d' ' -f1)
    case "$id" in $h:*) ;; *) fail "put $h printed '$id'" ;; esac
    "$P" store get "$S" "$id" "$T/back"
    cmp $F "$T/back" || fail "get $h"
    again=$("$P" store put "$S" $F --hash $h | cut -d' ' -f1)
    [ "$id" = "$again" ] || fail "dedup $h"
done
id=$("$P" store put "$S" $F --ref docs/adameve | cut -d' ' -f1)
[ "$id" = "sha256:$(sha256sum $F | cut -d' ' -f1)" ] || fail "sha256 name"
"$P" store get "$S" docs/adameve | cmp - $F || fail "get by ref"
cat $F | "$P" store put "$S" - | grep -q "^$id" || fail "put from stdin"
"$P" store ls "$S" | grep -q "^docs/adameve .*$id" || fail "ls"
[ "$("$P" store ls "$S" --objects 2>/dev/null | wc -l)" = 3 ] || fail "ls --objects"
"$P" store verify "$S" | grep -q "3 objects, 0 bad" || fail "verify"

# a flipped byte: get refuses, leaves no OUT, verify names it
hex=${id#sha256:}
f="$S/sha256/$(echo "$hex" | cut -c1-2)/$hex"
chmod u+w "$f"
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$P" store get "$S" "$id" "$T/bad" 2>"$T/err"; then fail "damaged object read"; fi
grep -q "does not match its hash" "$T/err" || fail "hash mismatch message: $(cat "$T/err")"
[ ! -e "$T/bad" ] || fail "partial output left behind"
ls "$T" | grep -q "bad.tmp" && fail "temp output left behind"
if "$P" store verify "$S" >"$T/out" 2>&1; then fail "verify passed a damaged store"; fi
grep -q "1 bad" "$T/out" || fail "verify count"

# hostile names and ids never reach outside the root
for bad in ../x /etc/passwd a//b "a/../../x" . ..; do
    if "$P" store ref "$S" "$bad" docs/adameve 2>/dev/null; then fail "ref name '$bad' taken"; fi
    if "$P" store get "$S" "$bad" >/dev/null 2>&1; then fail "ref '$bad' read"; fi
done
if "$P" store get "$S" "sha256:../../../../../etc/passwd" >/dev/null 2>&1; then fail "id path"; fi
[ ! -e "$T/x" ] || fail "wrote outside the store"

# gc: an object no ref names goes, once it is older than the grace period
"$P" store rm "$S" docs/adameve
"$P" store gc "$S" | grep -q "removed 0 .*spared 3 younger" || fail "gc spares young objects"
"$P" store gc "$S" --grace 0 | grep -q "removed 3" || fail "gc --grace 0"
[ "$("$P" store ls "$S" --objects 2>/dev/null | wc -l)" = 0 ] || fail "gc left objects"
}

persistent_space() {
K="$T/space"
gen_file 3000 2 "$T/g.metta"
printf 'add (likes alice bob)\nadd (likes bob carol)\ncount\n' | "$P" open "$K" --import "$T/g.metta" > "$T/o1" 2>"$T/e1"
n=$(( $("$P" count "$T/g.metta") + 2 ))
[ "$(tail -n 1 "$T/o1")" = "$n" ] || fail "count after import: $(cat "$T/o1")"
printf 'contains (likes alice bob)\nremove (likes alice bob)\ncontains (likes alice bob)\n' |
    "$P" open "$K" --no-final-checkpoint > "$T/o2" 2>"$T/e2"
sed -n '1p;3p' "$T/o2" | tr '\n' ' ' | grep -qx 'yes no ' && sed -n 2p "$T/o2" | grep -q '^changed 1 seq ' ||
    fail "ops: $(cat "$T/o2")"
grep -q "checkpoint 1 (.*) + 0 log records" "$T/e2" || fail "reopen report: $(cat "$T/e2")"
printf 'count\n' | "$P" open "$K" > "$T/o3" 2>"$T/e3"
[ "$(cat "$T/o3")" = "$((n - 1))" ] || fail "replay count"
grep -q "+ 1 log records" "$T/e3" || fail "replay report: $(cat "$T/e3")"

# a kill mid-stream loses nothing acknowledged
mkfifo "$T/cmds"
"$P" open "$K" < "$T/cmds" > "$T/o4" 2>/dev/null &
pid=$!
exec 3> "$T/cmds"
printf 'add (kept one)\nadd (kept two)\n' >&3
for i in $(seq 100); do [ "$(wc -l < "$T/o4")" -ge 2 ] && break; sleep 0.05; done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
exec 3>&-
[ "$(grep -c '^changed 1 seq ' "$T/o4")" = 2 ] || fail "acks: $(cat "$T/o4")"
printf 'contains (kept two)\ncount\n' | "$P" open "$K" > "$T/o5" 2>/dev/null
[ "$(tr '\n' ' ' < "$T/o5")" = "yes $((n + 1)) " ] || fail "after kill: $(cat "$T/o5")"

# a second opener is refused while the space is open
rm -f "$T/cmds"
mkfifo "$T/cmds"
"$P" open "$K" < "$T/cmds" > "$T/o6" 2>/dev/null &
pid=$!
exec 3> "$T/cmds"
printf 'count\n' >&3
for i in $(seq 100); do [ -s "$T/o6" ] && break; sleep 0.05; done
if printf 'count\n' | "$P" open "$K" >/dev/null 2>"$T/e6"; then fail "two openers"; fi
grep -q "another process" "$T/e6" || fail "lock message: $(cat "$T/e6")"
exec 3>&-
wait $pid

# checkpoints: save, ls, restore (any format), fallback past a damaged one
"$P" checkpoint save "$K" | grep -q "^checkpoint" || fail "save"
"$P" checkpoint ls "$K" > "$T/ls"
[ "$(grep -c ' ok$' "$T/ls")" = 2 ] || fail "ls: $(cat "$T/ls")"
"$P" checkpoint restore "$K" "$T/r.metta" 2>/dev/null
printf 'dump\n' | "$P" open "$K" 2>/dev/null | sort > "$T/d0"
"$P" dump "$T/r.metta" | sort > "$T/d1"
cmp "$T/d0" "$T/d1" || fail "restore differs from the space"
"$P" checkpoint restore "$K" "$T/r.snap" 2>/dev/null
[ "$("$P" count "$T/r.snap")" = "$((n + 1))" ] || fail "restore to .snap"
newest=$("$P" store ls "$K/store" 2>/dev/null | sort | tail -n 1 | awk '{print $2}')
hex=${newest#sha256:}
f="$K/store/sha256/$(echo "$hex" | cut -c1-2)/$hex"
printf 'XXXX' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
"$P" checkpoint restore "$K" "$T/r2.metta" 2>"$T/e7"
grep -q "skipped checkpoint .*checksum" "$T/e7" || fail "fallback report: $(cat "$T/e7")"
printf 'count\n' | "$P" open "$K" > "$T/o8" 2>"$T/e8"
[ "$(cat "$T/o8")" = "$((n + 1))" ] || fail "fallback lost data"
grep -q "skipped checkpoint" "$T/e8" || fail "open did not report the fallback"
"$P" checkpoint prune "$K" --keep 1 | grep -q "removed" || fail "prune"

# a torn log tail is dropped and reported
printf 'add (torn one)\nadd (torn two)\n' | "$P" open "$K" --no-final-checkpoint >/dev/null 2>&1
seg=$(ls "$K"/wal/*.log | tail -n 1)
truncate -s -5 "$seg"
printf 'contains (torn one)\ncontains (torn two)\n' | "$P" open "$K" > "$T/o9" 2>"$T/e9"
[ "$(tr '\n' ' ' < "$T/o9")" = "yes no " ] || fail "torn: $(cat "$T/o9")"
grep -q "dropped a torn last record" "$T/e9" || fail "torn report: $(cat "$T/e9")"
}

tcase store_cli store_cli
tcase persistent_space persistent_space
finish
