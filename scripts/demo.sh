#!/usr/bin/env bash
# Installs what is needed, builds the plugin, and runs the main job on the bundled example:
# starts examples/hungservice (a service hung with leaked goroutines and a deadlock),
# attaches lldb with the plugin, shows `go info`, `go goroutines --group-by stack` and one
# `go bt`, then detaches.
#
#   scripts/demo.sh                 SKIP_INSTALL=1 scripts/demo.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cd "$root"
[ "${SKIP_INSTALL:-}" = 1 ] || bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target goinspect-lldb
PLUGIN="$build/lldb-plugin/libgoinspect-lldb.so" bash examples/run-demo.sh
