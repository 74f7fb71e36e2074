#!/usr/bin/env bash
# Writes build/hot-functions.txt: the functions a running Cairn executes, in the order they first
# run, which build.rs asks the linker to place together (see build.rs for why).
#
# It runs the release binary under valgrind's callgrind through the `kudos_load` driver: start,
# idle, /kudos at saturation and at a steady rate, DMs going out, on SQLite and on PostgreSQL
# (PostgreSQL as for the benchmarks, benches/README.md). Run it again when dependencies or the
# Rust toolchain change (their functions' names change with them), then build and compare the
# RSS figures of `cargo bench --bench kudos_load`: the driver prints how much of the list the
# binary has.
#
# Needs valgrind (apt-get install valgrind) and python3. Takes about five minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "hot-functions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# `cargo bench` builds the binary with the bench profile, whose functions carry other hashes in
# their names than the release profile's: the list names both, so `cargo bench` measures the same
# layout that `cargo build --release` ships. The bench build comes first, then the release build
# puts its own binary back in target/release.
driver=$(cargo bench --bench kudos_load --no-run --locked 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
[ -x "$driver" ] || { echo "hot-functions: cannot find the kudos_load driver" >&2; exit 1; }
cp target/release/cairn "$work/cairn-bench-profile"
cargo build --release --locked

mkdir -p "$work/release"
# The driver starts "$CARGO_TARGET_DIR/release/cairn": here, the release binary under callgrind.
cat > "$work/release/cairn" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --demangle=no --dump-instr=no --callgrind-out-file=$work/cg.out.%p $PWD/target/release/cairn "\$@"
EOF
chmod +x "$work/release/cairn"
# The driver ends the server with SIGKILL when it must; dumping every few seconds keeps what ran.
(while sleep 3; do callgrind_control -d >/dev/null 2>&1 || true; done) &
dumper=$!
trap 'kill $dumper 2>/dev/null; rm -rf "$work"' EXIT

for backend in sqlite postgres; do
  CARGO_TARGET_DIR=$work "$driver" --backend "$backend" --people 50 --connections 4 --rate 50 --seconds 3 --no-drain >/dev/null
done

python3 - "$work" target/release/cairn "$work/cairn-bench-profile" build/hot-functions.txt <<'PY'
import collections, glob, re, subprocess, sys
work, binary, other, out = sys.argv[1:]

def dump_order(path):
    m = re.search(r"cg\.out\.(\d+)(?:\.(\d+))?$", path)
    return int(m.group(1)), int(m.group(2) or 10**9)

order, seen = [], set()
for path in sorted(glob.glob(f"{work}/cg.out.*"), key=dump_order):
    names = {}
    for line in open(path, errors="replace"):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if not m:
            continue
        number, name = m.groups()
        if name:
            names[number] = name
        name = names.get(number)
        if name and name not in seen:
            seen.add(name)
            order.append(name)

def code(path):
    listing = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    return [p[2] for p in (l.split() for l in listing.splitlines()) if len(p) == 3 and p[1] in "tTW"]

def unhashed(name):
    """A function's name without what differs between profiles: hashes and LLVM's numbering."""
    name = re.sub(r"17h[0-9a-f]{16}E", "", name)
    name = re.sub(r"Cs[0-9A-Za-z]+_", "", name)
    return re.sub(r"\.\d+$", "", name)

mine = set(code(binary))
hot = [name for name in order if name in mine]
theirs = collections.defaultdict(list)
for name in code(other):
    theirs[unhashed(name)].append(name)
both = []
for name in hot:
    both.append(name)
    both.extend(n for n in theirs.get(unhashed(name), []) if n != name)
with open(out, "w") as f:
    f.write("\n".join(dict.fromkeys(both)) + "\n")
print(f"hot-functions: {len(hot)} functions ({len(set(both))} names with the bench profile's) written to {out}")
PY
