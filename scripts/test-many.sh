#!/usr/bin/env bash
# Run CI (.ci/run: the README's test command, lint, types) N times, one after another, each on a fresh clone of
# the commit that was HEAD when the script started, and print each run's result line; with --busy a CPU hog
# keeps one core busy for the whole of each run. Exits non-zero when any run failed.
#
#   scripts/test-many.sh 3            three runs on an idle machine
#   scripts/test-many.sh 3 --busy     three with one core kept busy
#
# Each run's whole output is kept in <folder>/run-K.log (the folder is printed; --keep DIR chooses it).
set -uo pipefail

usage() { echo "usage: $0 N [--busy] [--keep DIR]" >&2; exit 2; }
[[ $# -ge 1 && "$1" =~ ^[1-9][0-9]*$ ]] || usage
runs=$1
shift
busy=0
logs=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --busy) busy=1 ;;
        --keep) [[ $# -ge 2 ]] || usage; logs=$2; shift ;;
        *) usage ;;
    esac
    shift
done

repo=$(cd "$(dirname "$0")/.." && pwd)
logs=${logs:-$(mktemp -d "${TMPDIR:-/tmp}/padserver-runs-XXXXXX")}
mkdir -p "$logs"
commit=$(git -C "$repo" rev-parse --short HEAD)  # every run tests this commit, whatever lands meanwhile
echo "$runs fresh-clone runs of $commit$([[ $busy = 1 ]] && echo ', one core kept busy'); logs in $logs"

hog=""
stop_hog() { [[ -n "$hog" ]] && kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null; hog=""; }
trap 'stop_hog' EXIT

failed=0
results=()
for ((k = 1; k <= runs; k++)); do
    clone=$(mktemp -d "${TMPDIR:-/tmp}/padserver-clone-XXXXXX")
    git clone -q "$repo" "$clone" && git -C "$clone" checkout -q "$commit"
    if [[ $busy = 1 ]]; then
        if command -v taskset >/dev/null; then
            taskset -c 0 sh -c 'while :; do :; done' &
        else
            sh -c 'while :; do :; done' &
        fi
        hog=$!
    fi
    started=$(date +%s)
    (cd "$clone" && .ci/run) >"$logs/run-$k.log" 2>&1
    rc=$?
    took=$(($(date +%s) - started))
    stop_hog
    # pytest's last line: "N passed, M failed … in T s"
    line=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$logs/run-$k.log" | tail -1 | tr -d '=' | sed 's/^ *//; s/ *$//')
    [[ $rc -ne 0 ]] && failed=$((failed + 1))
    results+=("run $k: $([[ $rc = 0 ]] && echo green || echo "FAILED (exit $rc)"), ${took}s in all; pytest: ${line:-no result line}")
    echo "${results[-1]}"
    grep -E '^(FAILED|ERROR) ' "$logs/run-$k.log" | sed 's/^/    /'
    rm -rf "$clone"
done
echo "--"
printf '%s\n' "${results[@]}"
echo "$((runs - failed)) of $runs green"
[[ $failed -eq 0 ]]
