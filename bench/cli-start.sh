#!/usr/bin/env bash
# Start-up time of `hearth --help` and `hearth user list`, median of 5, against another checkout as the baseline
# (runs alternate, so both see the same machine): bash bench/cli-start.sh /path/to/baseline-checkout
set -u
BASE=${1:?usage: bench/cli-start.sh <baseline checkout with node_modules>}
HERE=$(cd "$(dirname "$0")/.." && pwd)
KEY=$(printf '7a%.0s' {1..32})
D=$(mktemp -d)
run() {
  local dir=$1 name=$2; shift 2
  local s=$(date +%s%N)
  (cd "$dir" && HEARTH_DATA_DIR=$D/$name HEARTH_SECRET_KEY=$KEY HEARTH_LOG_LEVEL=warn node bin/hearth.mjs "$@" >/dev/null 2>&1)
  echo $(( ($(date +%s%N) - s) / 1000000 ))
}
run "$BASE" base user list >/dev/null; run "$HERE" here user list >/dev/null
for cmd in "--help" "user list"; do
  b=(); h=()
  for _ in 1 2 3 4 5; do b+=($(run "$BASE" base $cmd)); h+=($(run "$HERE" here $cmd)); done
  mb=$(printf '%s\n' "${b[@]}" | sort -n | sed -n 3p); mh=$(printf '%s\n' "${h[@]}" | sort -n | sed -n 3p)
  echo "hearth $cmd: baseline ${b[*]} (median $mb ms); this tree ${h[*]} (median $mh ms); ratio $(awk "BEGIN{printf \"%.2f\", $mh/$mb}")"
done
rm -rf "$D"
