#!/usr/bin/env bash
# The whole test run (what `deno task test` and CI run):
#   0. deno fmt --check, deno lint, deno check ., zig fmt --check
#   1. Zig unit tests on this machine
#   2. Zig unit tests for aarch64 (static musl) under qemu
#   3. Deno test suites on this machine, against the native library
#   4. The Deno conformance suites on Deno's arm64 build under qemu, against
#      the aarch64 library (a reduced sweep: ONEBIT_QUICK=1), in two processes side by side
#   5. The kernel conformance suites on Deno's arm64 build under qemu, against
#      the Android library (ONEBIT_LIB)
#   6. The example notebooks, executed through Jupyter with the Deno kernel (tools/notebooks.ts --strict: every
#      expected display, pictures checked by their elements; Jupyter from
#      the pinned venv of tools/setup_jupyter.sh, in .tools/)
# The macOS and Windows libraries are built too and only inspected (tests/platform_libraries_test.ts).
# Prints each suite's result and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --cross || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

ZIG=.tools/zig/ziglang/zig
DENO=$(command -v deno || true)
[ -n "$DENO" ] || { echo "deno is not on PATH: run this through 'npx -y deno@2.9.5 task test'"; echo "0 passed, 1 failed"; exit 1; }
ARM_DENO=.tools/deno-arm64/package/deno
# Zig's -fqemu looks for qemu-aarch64; Debian ships qemu-aarch64-static.
mkdir -p .tools/bin && ln -sf "$(command -v qemu-aarch64-static)" .tools/bin/qemu-aarch64
export PATH="$PWD/.tools/bin:$PATH"

passed=0
failed=0
mark=$SECONDS
# Each suite line ends with the seconds since the previous one.
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count_zig() { # suite name, log file, exit code
  local p f
  p=$(grep -oE '[0-9]+/[0-9]+ tests passed' "$2" | tail -1 | cut -d/ -f1)
  f=$(grep -oE '[0-9]+ failed' "$2" | grep -v steps | tail -1 | cut -d' ' -f1)
  if [ -z "$p" ] && [ "$3" -eq 0 ]; then p=$(grep -oE '[0-9]+ passed' "$2" | tail -1 | cut -d' ' -f1); fi
  p=${p:-0}; f=${f:-0}
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; cat "$2"; fi
  echo "$1: $p passed, $f failed ($((SECONDS - mark)) s)"; mark=$SECONDS
  passed=$((passed + p)); failed=$((failed + f))
}

count_deno() { # suite name, log file, exit code
  local line p f
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$2" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1)
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
  p=${p:-0}; f=${f:-0}
  # Deno has exited 0 after a failed test (a panic while ending): the count decides too.
  if [ "$3" -ne 0 ] || [ "$f" -ne 0 ]; then
    [ "$f" -eq 0 ] && f=1
    sed 's/\x1b\[[0-9;]*m//g' "$2" | grep -vE '^(running|.* \.\.\. ok)' | tail -60
    # The failing tests' names on one line next to the count, for logs that keep only the summary lines.
    local names
    names=$(sed 's/\x1b\[[0-9;]*m//g' "$2" | sed -n '/^ *FAILURES/,$p' | grep ' => ' | head -8 | paste -sd ';' -)
    echo "$1: failing: ${names:-(see the log above)}"
  fi
  echo "$1: $p passed, $f failed ($((SECONDS - mark)) s)"; mark=$SECONDS
  passed=$((passed + p)); failed=$((failed + f))
}

# Static checks, one count each: formatting (TS and Zig), lint, types of every module.
check() { # name, command...
  local name=$1; shift
  if "$@" >"$log/check" 2>&1; then passed=$((passed + 1)); echo "check ($name): 1 passed, 0 failed"
  else failed=$((failed + 1)); sed 's/\x1b\[[0-9;]*m//g' "$log/check" | tail -30; echo "check ($name): 0 passed, 1 failed"; fi
}
check "deno fmt" "$DENO" fmt --check
check "deno lint" "$DENO" lint
check "deno check" "$DENO" check .
check "zig fmt" "$ZIG" fmt --check build.zig kernels_zig

$ZIG build test --summary all >"$log/zig" 2>&1
count_zig "zig (host $(uname -m))" "$log/zig" $?

# Zig's test runner refuses to exec foreign glibc binaries, so the aarch64
# unit tests link Zig's static musl; the same code, threads included.
$ZIG build test -Dtarget=aarch64-linux-musl -fqemu --summary all >"$log/zig-arm" 2>&1
count_zig "zig (aarch64, qemu)" "$log/zig-arm" $?

ONEBIT_REQUIRE_NATIVE=1 "$DENO" test -A --parallel --doc tests/ kernels/ runtime/ tflite/ viz/ graph/ quantizers/ layers/ models/ keras/ train/ zoo/ convert/ examples/ bench/_limit_test.ts bench/_limit.ts bench/bench.ts mod.ts runtime.ts >"$log/deno" 2>&1
count_deno "deno (host $(uname -m))" "$log/deno" $?

# The arm64 suites run side by side, each one emulated Deno process (about one core): the kernel conformance files,
# the runtime and converter files, and the Android library's files. CI's wall time (one aarch64 process took 18 min).
arm_deno() { # log name, test files...
  local name=$1; shift
  ONEBIT_REQUIRE_NATIVE=1 ONEBIT_QUICK=1 DENO_NO_UPDATE_CHECK=1 qemu-aarch64-static "$ARM_DENO" test -A --no-check "$@" \
    >"$log/$name" 2>&1
}
arm_deno deno-arm-kernels \
  tests/kernels_binary_conformance_test.ts tests/kernels_reference_oracle_test.ts tests/kernels_validation_test.ts \
  tests/kernels_float_conformance_test.ts tests/kernels_bmaxpool_conformance_test.ts \
  tests/kernels_unary_conformance_test.ts tests/kernels_layout_conformance_test.ts tests/kernels_resize_conformance_test.ts \
  tests/kernels_thread_split_test.ts tests/kernels_channel_affine_test.ts kernels/maxpool_grad_windows_test.ts &
arm_kernels_pid=$!
arm_deno deno-arm-runtime \
  tests/runtime_lce_interop_test.ts tests/runtime_lce_ops_sweep_test.ts tests/runtime_fuzz_test.ts \
  tests/runtime_fusion_test.ts tests/runtime_builtins_test.ts tests/convert_interop_test.ts convert/convert_test.ts &
arm_runtime_pid=$!

# The Android library links no libc and runs single-threaded; Deno has no Android build, so its arm64 glibc build
# loads it (glibc's loader, not bionic's: the library needs nothing from either).
ONEBIT_LIB="$PWD/zig-out/lib/aarch64-linux-android/libonebit.so" arm_deno deno-android \
  tests/kernels_binary_conformance_test.ts tests/kernels_float_conformance_test.ts \
  tests/kernels_layout_conformance_test.ts tests/kernels_unary_conformance_test.ts \
  tests/kernels_bmaxpool_conformance_test.ts
android_status=$?
wait "$arm_kernels_pid"
arm_kernels_status=$?
wait "$arm_runtime_pid"
arm_runtime_status=$?
count_deno "deno (aarch64, qemu: kernels)" "$log/deno-arm-kernels" "$arm_kernels_status"
count_deno "deno (aarch64, qemu: runtime, converter)" "$log/deno-arm-runtime" "$arm_runtime_status"
count_deno "deno (android aarch64, qemu)" "$log/deno-android" "$android_status"

ONEBIT_REQUIRE_NATIVE=1 "$DENO" run -A tools/notebooks.ts --strict >"$log/notebooks" 2>&1
count_deno "notebooks (Jupyter, Deno kernel)" "$log/notebooks" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
