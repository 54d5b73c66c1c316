#!/usr/bin/env bash
# Runs every fuzz target (tests/fuzz/fuzz_targets) for a while and prints one
# line per target: executions, coverage, crashes. Installs the nightly
# toolchain and cargo-fuzz when they are missing.
#
#   bash tests/fuzz/run.sh                 # each target 20 s (the CI smoke run),
#                                          # as many at once as there are cores
#   bash tests/fuzz/run.sh -t 1800 -r 10000000 imap_dialogue
#                                          # one target, 30 min or 10M runs
#
# Each run starts from the committed seeds (tests/fuzz/seeds/TARGET) and grows
# a corpus in tests/fuzz/corpus/TARGET (ignored by git). A crash leaves its
# input in tests/fuzz/artifacts/TARGET and makes the script exit non-zero.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE/../.."
[ -d "$HOME/.cargo/bin" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac

seconds=20 runs=-1 jobs=$(nproc 2>/dev/null || echo 1)
while getopts "t:r:j:" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    r) runs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) echo "usage: $0 [-t seconds] [-r runs] [-j parallel] [target...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in "$HERE"/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

# Builds every target (instrumented, release, debug assertions on).
cargo +nightly fuzz build --fuzz-dir "$HERE" 2>&1 | { grep -v '^ *Compiling' || true; }
bin_dir="$HERE/target/x86_64-unknown-linux-gnu/release"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run_one() { # target: one run; its table row in $results/target
  local t=$1 corpus log rc=0 execs line cov ft crashes=0
  if [ ! -x "$bin_dir/$t" ]; then
    echo "$t: not built" >&2
    printf '%-24s %12s %8s %8s %s\n' "$t" - - - "not built" >"$results/$t"
    return
  fi
  corpus="$HERE/corpus/$t"
  mkdir -p "$corpus" "$HERE/artifacts/$t" "$HERE/seeds/$t"
  log="$results/$t.log"
  # -rss_limit_mb: "bounded memory" is a property too; -timeout: one input
  # that takes seconds is a finding (every dialogue is bounded by its script).
  "$bin_dir/$t" "$corpus" "$HERE/seeds/$t" \
    -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=1024 -timeout=5 \
    -artifact_prefix="$HERE/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log")
  line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  if [ $rc != 0 ]; then
    crashes=1
    { echo "--- $t"; grep -E -A12 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -40 || true; } >&2
  fi
  printf '%-24s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes" >"$results/$t"
}

for t in "${targets[@]}"; do
  run_one "$t" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait

bad=0
printf '%-24s %12s %8s %8s %s\n' target execs cov ft crashes
for t in "${targets[@]}"; do
  cat "$results/$t"
  grep -Eq ' 0$' "$results/$t" || bad=1
done
exit $bad
