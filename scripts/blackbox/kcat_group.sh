#!/usr/bin/env bash
# Black-box check of consumer groups with kcat -G (librdkafka's balanced
# consumer): two members share a topic, their commits survive their exit,
# and a restarted member resumes from the committed offsets.
# Usage: kcat_group.sh HOST:PORT
set -euo pipefail
addr=${1:?usage: kcat_group.sh HOST:PORT}
run=$(date +%s%N)
topic="kcat-group-$run"
group="kcat-g-$run"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
consume() { # member output-file: consume until every assigned partition is at its end
  kcat -b "$addr" -G "$group" -e -q -X auto.offset.reset=earliest -f '%p/%o %s\n' \
    -X enable.auto.commit=true -X auto.commit.interval.ms=100 -X session.timeout.ms=6000 \
    -X topic.metadata.refresh.interval.ms=100 "$topic" >"$2"
}

seq 1 200 | kcat -b "$addr" -P -t "$topic" -K: -X topic.metadata.refresh.interval.ms=100
# Two members at once: the broker's initial rebalance delay lets both join
# the first generation.
consume a "$tmp/a" & pa=$!
consume b "$tmp/b" & pb=$!
wait $pa || fail "member a failed"
wait $pb || fail "member b failed"
got=$(cat "$tmp/a" "$tmp/b" | cut -d' ' -f1 | sort -u | wc -l)
[ "$got" -eq 200 ] || fail "two members consumed $got distinct records, want 200"
echo "ok: two members consumed 200 records ($(wc -l <"$tmp/a") and $(wc -l <"$tmp/b"))"

# Restart: a new member resumes after the committed offsets.
seq 201 250 | kcat -b "$addr" -P -t "$topic" -K: -X topic.metadata.refresh.interval.ms=100
consume c "$tmp/c"
got=$(wc -l <"$tmp/c")
min=$(cut -d' ' -f2 "$tmp/c" | sort -n | head -1)
[ "$got" -eq 50 ] && [ "$min" -ge 201 ] || fail "restarted member consumed $got records from value $min, want the 50 new ones"
echo "ok: restarted member resumed from the committed offsets"
echo "kcat -G: all passed"
