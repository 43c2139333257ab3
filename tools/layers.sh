#!/bin/sh
# layers.sh BUILD - the folders of src/ as a graph of calls, from the
# objects' symbols: "A B" when code in src/A calls (or reads) something
# defined in src/B. Prints the edges; exits 1 if the graph has a cycle, or
# if src/http and src/net reach into each other (docs/architecture.md).
set -eu
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
objs() { for c in src/*/*.c; do echo "$B/${c%.c}.o"; done; }
for o in $(objs); do
    d=$(basename "$(dirname "$o")")
    nm --defined-only "$o" | awk -v d="$d" 'NF == 3 && $2 ~ /[TDBRV]/ {print $3, d}'
done | sort -u > "$T/def"
for o in $(objs); do
    d=$(basename "$(dirname "$o")")
    nm -u "$o" | awk -v d="$d" '{print $2, d}'
done | sort -u > "$T/use"
# symbol user definer -> "user definer" for different folders
join "$T/use" "$T/def" | awk '$2 != $3 {print $2, $3}' | sort -u > "$T/edges"
cat "$T/edges"
bad=0
if grep -q '^http net$' "$T/edges" || grep -q '^net http$' "$T/edges"; then
    echo "layers: src/http and src/net call each other" >&2
    bad=1
fi
for f in src/http/*.[ch]; do
    if grep -q '#include "net/' "$f"; then echo "layers: $f includes src/net" >&2; bad=1; fi
done
for f in src/net/*.[ch]; do
    if grep -q '#include "http/' "$f"; then echo "layers: $f includes src/http" >&2; bad=1; fi
done
if ! tsort "$T/edges" > /dev/null 2> "$T/cycle"; then
    echo "layers: the folders form a cycle:" >&2
    cat "$T/cycle" >&2
    bad=1
fi
exit $bad
