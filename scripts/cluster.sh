#!/usr/bin/env bash
# cluster.sh: a 3-node Gregor cluster on loopback, for users and tests.
#
#   scripts/cluster.sh start [N]     start all nodes (or node N), wait until each serves
#   scripts/cluster.sh stop [N]      SIGTERM (controlled shutdown) and wait
#   scripts/cluster.sh kill N        SIGKILL node N (a crash)
#   scripts/cluster.sh restart N     stop then start node N
#   scripts/cluster.sh status        which nodes run, and their addresses
#
# Node N (1-3) serves Kafka on 127.0.0.1:BASE+100*(N-1) and the metadata
# quorum on the port after it; BASE is GREGOR_CLUSTER_BASE_PORT (9092), so
# by default 9092/9093, 9192/9193, 9292/9293. Data, logs and pid files go
# under GREGOR_CLUSTER_DIR (./cluster-data)/nodeN. The binary is
# GREGOR_BIN, else `gregor` on PATH, else built from this checkout.
# Extra `gregor serve` arguments can be given in GREGOR_SERVE_ARGS.
set -euo pipefail

DIR=${GREGOR_CLUSTER_DIR:-./cluster-data}
BASE=${GREGOR_CLUSTER_BASE_PORT:-9092}
NODES=(1 2 3)

kafka_port() { echo $((BASE + 100 * ($1 - 1))); }
ctl_port() { echo $((BASE + 100 * ($1 - 1) + 1)); }
pidfile() { echo "$DIR/node$1/gregor.pid"; }

voters() {
	local v="" n
	for n in "${NODES[@]}"; do v="$v${v:+,}$n@127.0.0.1:$(ctl_port "$n")"; done
	echo "$v"
}

binary() {
	if [[ -n ${GREGOR_BIN:-} ]]; then echo "$GREGOR_BIN"; return; fi
	if command -v gregor >/dev/null 2>&1; then command -v gregor; return; fi
	local root
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	mkdir -p "$DIR"
	(cd "$root" && go build -o "$OLDPWD/$DIR/gregor" ./cmd/gregor) >&2
	echo "$DIR/gregor"
}

running() {
	local f
	f=$(pidfile "$1")
	[[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

check_node() {
	case ${1:-} in 1 | 2 | 3) ;; *) echo "cluster.sh: node must be 1, 2 or 3, got '${1:-}'" >&2; exit 2 ;; esac
}

# wait_port waits up to 30s until 127.0.0.1:$1 accepts connections.
wait_port() {
	local i
	for ((i = 0; i < 300; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

start_node() {
	local n=$1 bin=$2
	if running "$n"; then echo "node $n already running (pid $(cat "$(pidfile "$n")"))"; return; fi
	mkdir -p "$DIR/node$n/data"
	# shellcheck disable=SC2086 # GREGOR_SERVE_ARGS is split on purpose
	nohup "$bin" serve --node-id "$n" --controller-voters "$(voters)" \
		--listen "127.0.0.1:$(kafka_port "$n")" --data-dir "$DIR/node$n/data" \
		${GREGOR_SERVE_ARGS:-} >>"$DIR/node$n/gregor.log" 2>&1 &
	echo $! >"$(pidfile "$n")"
}

stop_node() {
	local n=$1 sig=${2:-TERM} pid i
	if ! running "$n"; then echo "node $n not running"; rm -f "$(pidfile "$n")"; return; fi
	pid=$(cat "$(pidfile "$n")")
	kill "-$sig" "$pid"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then echo "node $n (pid $pid) did not stop" >&2; return 1; fi
	rm -f "$(pidfile "$n")"
	echo "node $n stopped ($sig)"
}

cmd=${1:-}
case $cmd in
start)
	bin=$(binary)
	targets=("${NODES[@]}")
	if [[ -n ${2:-} ]]; then check_node "$2"; targets=("$2"); fi
	for n in "${targets[@]}"; do start_node "$n" "$bin"; done
	for n in "${targets[@]}"; do
		if ! wait_port "$(kafka_port "$n")"; then
			echo "node $n did not start; see $DIR/node$n/gregor.log" >&2
			exit 1
		fi
		echo "node $n serving on 127.0.0.1:$(kafka_port "$n") (quorum 127.0.0.1:$(ctl_port "$n"))"
	done
	;;
stop)
	targets=("${NODES[@]}")
	if [[ -n ${2:-} ]]; then check_node "$2"; targets=("$2"); fi
	for n in "${targets[@]}"; do stop_node "$n" TERM; done
	;;
kill)
	check_node "${2:-}"
	stop_node "$2" KILL
	;;
restart)
	check_node "${2:-}"
	stop_node "$2" TERM
	"$0" start "$2"
	;;
status)
	for n in "${NODES[@]}"; do
		if running "$n"; then
			echo "node $n running (pid $(cat "$(pidfile "$n")")) kafka 127.0.0.1:$(kafka_port "$n") quorum 127.0.0.1:$(ctl_port "$n")"
		else
			echo "node $n stopped"
		fi
	done
	;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
