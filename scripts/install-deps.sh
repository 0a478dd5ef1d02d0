#!/usr/bin/env bash
# Installs everything the project needs from Debian's archive, on a fresh bookworm machine:
# compilers and libraries, LLDB 22, GDB, Go toolchains 1.21..1.27 and Delve.
# Newer suites are added pinned low so that nothing else on the machine upgrades.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

add_suite() { # name suites
  local file=/etc/apt/sources.list.d/goinspect-$1.sources
  [ -f "$file" ] && return 0
  $SUDO tee "$file" >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $2
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}
add_suite backports bookworm-backports
add_suite trixie "trixie trixie-backports"
add_suite sid sid
$SUDO tee /etc/apt/preferences.d/goinspect-pins >/dev/null <<'PIN'
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=trixie
Pin-Priority: 90

Package: *
Pin: release n=trixie-backports
Pin-Priority: 90

Package: *
Pin: release n=sid
Pin-Priority: 50
PIN

export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/goinspect-update
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
  $SUDO apt-get update -q
  $SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi

base_pkgs=(build-essential cmake pkg-config gdb python3-dev libdw-dev libelf-dev libfmt-dev
           nlohmann-json3-dev zlib1g-dev)
# The sanitizer and fuzzing build (tests/fuzz): clang with libFuzzer and the sanitizer runtimes.
base_pkgs+=(clang-14 libclang-rt-14-dev)
# check_nowrite.py's syscall audit: every call a debugger makes that could change the target.
base_pkgs+=(strace)
$SUDO apt-get install -y -q --no-install-recommends "${base_pkgs[@]}"
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports catch2
$SUDO apt-get install -y -q --no-install-recommends lldb-22 liblldb-22-dev python3-lldb-22

# Go toolchains: each in its own GOROOT (/usr/lib/go-1.NN), named explicitly by the tests.
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports \
  golang-1.21-go golang-1.22-go golang-1.23-go
$SUDO apt-get install -y -q --no-install-recommends -t trixie golang-1.24-go
$SUDO apt-get install -y -q --no-install-recommends -t trixie-backports \
  golang-1.25-go golang-1.26-go golang-1.27-go

# Delve, the peer the benchmark measures against (1.27 from sid).
if [ "${GOINSPECT_NO_DELVE:-}" != 1 ]; then
  $SUDO apt-get install -y -q --no-install-recommends -t sid delve
fi
