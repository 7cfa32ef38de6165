#!/usr/bin/env bash
# Idempotent set-up for onebit's native side, quiet when already done.
#   tools/setup.sh          Zig (pinned, project-local) + the host library
#   tools/setup.sh --arm    also qemu-user-static, libc6:arm64, Deno's arm64 build
#                           and the aarch64/Android libraries
#   tools/setup.sh --cross  --arm, and the macOS and Windows libraries (x86_64 and
#                           arm64 each), which the tests only inspect, and Debian's
#                           chromium (the web example's test drives it headless)
# Everything lands in .tools/ (git-ignored) except the apt packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# The one place the toolchain versions are pinned.
ZIG_VERSION=0.14.1
DENO_VERSION=2.9.5

TOOLS=.tools
ZIG="$TOOLS/zig/ziglang/zig"
say() { echo "setup: $*" >&2; }

if [ ! -x "$ZIG" ] || [ "$("$ZIG" version)" != "$ZIG_VERSION" ]; then
  say "installing Zig $ZIG_VERSION from PyPI into $TOOLS/zig"
  rm -rf "$TOOLS/zig"
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/zig" "ziglang==$ZIG_VERSION" >&2
fi

build() { # build <target> : zig build for one target, only prints on failure
  local log
  log=$(mktemp)
  if ! "$ZIG" build "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; exit 1; fi
  rm -f "$log"
}
build

if [ "${1:-}" = "--arm" ] || [ "${1:-}" = "--cross" ]; then
  if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
    say "installing qemu-user-static and libc6:arm64 from apt"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user-static libc6:arm64 >&2
  fi
  ARM_DENO="$TOOLS/deno-arm64/package/deno"
  if [ ! -x "$ARM_DENO" ] || ! grep -q "\"version\": \"$DENO_VERSION\"" "$TOOLS/deno-arm64/package/package.json"; then
    say "fetching Deno $DENO_VERSION for arm64 from npm"
    rm -rf "$TOOLS/deno-arm64"; mkdir -p "$TOOLS/deno-arm64"
    (cd "$TOOLS/deno-arm64" && npm pack --silent "@deno/linux-arm64-glibc@$DENO_VERSION" >/dev/null 2>&1 && tar xzf deno-linux-arm64-glibc-*.tgz && rm -f deno-linux-arm64-glibc-*.tgz)
  fi
  build -Dtarget=aarch64-linux-gnu
  build -Dtarget=aarch64-linux-android
fi

if [ "${1:-}" = "--cross" ]; then
  build -Dtarget=x86_64-macos
  build -Dtarget=aarch64-macos
  build -Dtarget=x86_64-windows-gnu
  build -Dtarget=aarch64-windows-gnu
  if ! command -v chromium >/dev/null; then
    say "installing chromium from apt (tests/examples_web_browser_test.ts)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
  fi
fi
