#!/usr/bin/env bash
# End-to-end benchmark of the `vasrec` command line.
#
#   benches/e2e.sh            # everything (about 3 minutes on 2 cores; 2 GB of data)
#   benches/e2e.sh --quick    # skip the 10,000,000-row memory check
#
# What it does, from the repository root:
#   1. builds the release binary and the two generator examples;
#   2. generates customers into bench-data/ (git-ignored; reused when present):
#      1,000,000 as CSV and as JSON Lines, 100,000 and 10,000,000 as CSV, and
#      the 10,000-rule package bench-data/p10000x1000;
#   3. times `vasrec dry-run` (JSON report) over the 1,000,000-customer files
#      with 1 and 2 threads under /usr/bin/time -v (wall time, peak RSS), and
#      checks that the 1- and 2-thread reports are byte-identical;
#   4. compares peak RSS over 100,000 and 10,000,000 CSV customers (2 threads);
#   5. times `vasrec score` (CSV to JSON Lines) to /dev/null and to a file, so
#      the output write cost shows separately;
#   6. times `vasrec check rules` (20 runs) and `vasrec check` on the
#      10,000-rule package (5 runs: load, check and compile, warnings rendered
#      to /dev/null);
#   7. prints markdown tables for BENCHMARKS.md.
#
# Needs /usr/bin/time (GNU time): on Debian or Ubuntu, `apt-get install -y time`.
# Honours CARGO_TARGET_DIR. Reports are written to bench-data/e2e/; `--out
# /dev/null` is safe too (a device or pipe is written in place, never replaced).

set -euo pipefail

cd "$(dirname "$0")/.."
QUICK=0
if [[ "${1:-}" == "--quick" ]]; then
    QUICK=1
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is missing; install it with: apt-get install -y time" >&2
    exit 2
fi

TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin vasrec --example generate_customers --example generate_package
VASREC="$TARGET/release/vasrec"
GEN_CUSTOMERS="$TARGET/release/examples/generate_customers"
GEN_PACKAGE="$TARGET/release/examples/generate_package"

DATA=bench-data
OUT="$DATA/e2e"
mkdir -p "$OUT"

generate() { # rows format path
    if [[ ! -s "$3" ]]; then
        echo "generating $3" >&2
        "$GEN_CUSTOMERS" --rows "$1" --format "$2" --out "$3"
    fi
}
generate 1000000 csv "$DATA/customers-1m.csv"
generate 1000000 jsonl "$DATA/customers-1m.jsonl"
generate 100000 csv "$DATA/customers-100k.csv"
if [[ $QUICK == 0 ]]; then
    generate 10000000 csv "$DATA/customers-10m.csv"
fi
"$GEN_PACKAGE" --rules 10000 --segments 1000 --seed 7 --out "$DATA/p10000x1000" 2>/dev/null

# dry_run NAME FILE THREADS: sets WALL (seconds) and RSS (peak, KiB); the
# report goes to $OUT/NAME-THREADS.json and time's log to $OUT/NAME-THREADS.time.
dry_run() {
    local log="$OUT/$1-$3.time"
    if ! /usr/bin/time -v "$VASREC" dry-run --rules rules --customers "$2" --threads "$3" \
        --format json --out "$OUT/$1-$3.json" 2>"$log"; then
        echo "error: vasrec dry-run failed on $2 with $3 threads; see $log" >&2
        exit 1
    fi
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
}

rows_of() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["customers"])' "$1" 2>/dev/null ||
        grep -m1 -o '"customers": *[0-9]*' "$1" | grep -o '[0-9]*$'
}

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if git rev-parse --git-dir >/dev/null 2>&1; then
    commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo ' (src or Cargo.toml modified)')"
else
    commit="${VASREC_COMMIT:-unknown (not a git checkout; set VASREC_COMMIT)}"
fi
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $commit"
echo

echo "| input | threads | wall s | customers/s | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|"
for input in csv jsonl; do
    file="$DATA/customers-1m.$input"
    for threads in 1 2; do
        dry_run "1m-$input" "$file" "$threads"
        rows=$(rows_of "$OUT/1m-$input-$threads.json")
        awk -v f="1,000,000 $input" -v t="$threads" -v w="$WALL" -v r="$RSS" -v n="$rows" \
            'BEGIN { printf "| %s | %d | %.2f | %.0f | %.1f |\n", f, t, w, n / w, r / 1024 }'
    done
    if cmp -s "$OUT/1m-$input-1.json" "$OUT/1m-$input-2.json"; then
        echo "|  | 1 vs 2 | reports byte-identical | | |"
    else
        echo "|  | 1 vs 2 | **reports differ** | | |"
    fi
done

# score_run OUTPUT THREADS: per-customer records of the 1,000,000 CSV customers
# as JSON Lines, to OUTPUT (/dev/null: reading, evaluating and formatting only;
# a file: the same plus writing it). Sets WALL and RSS.
score_run() {
    local log="$OUT/score-$2.time"
    if ! /usr/bin/time -v "$VASREC" score --rules rules --customers "$DATA/customers-1m.csv" \
        --threads "$2" --out "$1" 2>"$log"; then
        echo "error: vasrec score failed; see $log" >&2
        exit 1
    fi
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
}

echo
echo "| vasrec score, 1,000,000 CSV to JSON Lines | threads | wall s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
for threads in 1 2; do
    score_run /dev/null "$threads"
    awk -v t="$threads" -v w="$WALL" -v r="$RSS" 'BEGIN { printf "| to /dev/null (no write cost) | %d | %.2f | %.1f |\n", t, w, r / 1024 }'
    score_run "$OUT/score-$threads.jsonl" "$threads"
    awk -v t="$threads" -v w="$WALL" -v r="$RSS" 'BEGIN { printf "| to a file | %d | %.2f | %.1f |\n", t, w, r / 1024 }'
done
if cmp -s "$OUT/score-1.jsonl" "$OUT/score-2.jsonl"; then
    echo "|  | 1 vs 2 | outputs byte-identical | |"
else
    echo "|  | 1 vs 2 | **outputs differ** | |"
fi
rm -f "$OUT/score-1.jsonl" "$OUT/score-2.jsonl"

echo
echo "| memory check (CSV, 2 threads) | wall s | peak RSS MiB |"
echo "|---|---:|---:|"
dry_run 100k-csv "$DATA/customers-100k.csv" 2
rss_small=$RSS
awk -v w="$WALL" -v r="$RSS" 'BEGIN { printf "| 100,000 customers | %.2f | %.1f |\n", w, r / 1024 }'
if [[ $QUICK == 0 ]]; then
    dry_run 10m-csv "$DATA/customers-10m.csv" 2
    rss_big=$RSS
    awk -v w="$WALL" -v r="$RSS" 'BEGIN { printf "| 10,000,000 customers | %.2f | %.1f |\n", w, r / 1024 }'
    awk -v a="$rss_small" -v b="$rss_big" 'BEGIN { printf "| ratio 10,000,000 / 100,000 | | %.2fx |\n", b / a }'
fi

# time_runs RUNS COMMAND...: sets MEAN and BEST (milliseconds). The command's
# exit code is ignored (`check` exits 0 with warnings, 1 with errors).
time_runs() {
    local runs=$1
    shift
    local total=0 best=0
    for ((i = 0; i < runs; i++)); do
        local start end ms
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        end=$(date +%s%N)
        ms=$(((end - start) / 1000))
        total=$((total + ms))
        if ((best == 0 || ms < best)); then best=$ms; fi
    done
    MEAN=$(awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.1f", t / n / 1000 }')
    BEST=$(awk -v b="$best" 'BEGIN { printf "%.1f", b / 1000 }')
}

echo
echo "| command | runs | mean ms | min ms |"
echo "|---|---:|---:|---:|"
time_runs 20 "$VASREC" check rules
echo "| vasrec check rules | 20 | $MEAN | $BEST |"
time_runs 5 "$VASREC" check "$DATA/p10000x1000"
echo "| vasrec check $DATA/p10000x1000 (10,000 rules, 1,000 segments) | 5 | $MEAN | $BEST |"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
