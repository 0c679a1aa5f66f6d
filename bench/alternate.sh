#!/bin/bash
# Alternate in-process measurements of several checkouts (docs/PERFORMANCE.md, issue #14):
#
#   bench/alternate.sh ROUNDS RUNS WORKTREE=DATABASE [WORKTREE=DATABASE ...] [-- PAGE ...]
#
# e.g. bench/alternate.sh 3 40 /work/wt-before=cqpi_bench_before /work/wt-main=cqpi_bench
# Each worktree runs its own bench/inprocess.py (CPU ms per request, median of RUNS) on its own
# database (made by that checkout's generator), round after round, so that the machine's drift
# falls on every checkout alike. Prints the log's path; each run's lines follow a header
# "### round R WORKTREE".
set -euo pipefail
rounds=$1
runs=$2
shift 2
trees=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  trees+=("$1")
  shift
done
[ $# -gt 0 ] && shift
out="${TMPDIR:-/tmp}/alternate-$(date +%Y%m%d-%H%M%S).log"
for round in $(seq 1 "$rounds"); do
  for index in "${!trees[@]}"; do
    tree=${trees[$index]%%=*}
    database=${trees[$index]#*=}
    cache=$((10 + index))
    redis-cli -n "$cache" flushdb >/dev/null
    echo "### round $round $tree $(date +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)" >>"$out"
    (cd "$tree" && BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database" \
      BENCH_CACHE_URL="redis://127.0.0.1:6379/$cache" PYTHONHASHSEED=0 \
      .venv/bin/python bench/inprocess.py --runs "$runs" "$@") >>"$out" 2>&1
  done
done
echo "$out"
