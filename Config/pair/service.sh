#!/bin/sh
# The pair example's "service": a small HTTP server that says which node serves.
# Started and stopped by the agent's actions (the agent runs them from this directory).
#
#   service.sh start NAME PORT [ADDRESS]   serve "served by NAME" on ADDRESS:PORT
#                                          (default 127.0.0.1) until stopped
#   service.sh stop NAME          stop it (no error if it is not running)
set -eu
name=$2
pidfile="run/$name.pid"
mkdir -p run "www-$name"
alive() {
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

case "$1" in
start)
    port=$3
    address=${4:-127.0.0.1}
    if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then exit 0; fi
    echo "served by $name" >"www-$name/index.html"
    setsid python3 -m http.server "$port" --bind "$address" --directory "www-$name" \
        >"run/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    # Ready when it answers: the agent's start action must mean "serving".
    [ "$address" = 0.0.0.0 ] && probe=127.0.0.1 || probe=$address
    for _ in $(seq 50); do
        curl -s -o /dev/null --max-time 0.2 "http://$probe:$port/" && exit 0
        sleep 0.1
    done
    echo "the service of $name did not answer on port $port" >&2
    exit 1
    ;;
stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    # Gone, or a zombie waiting for init to reap it, counts as stopped.
    for _ in $(seq 30); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
    rm -f "$pidfile"
    ;;
*)
    echo "usage: service.sh start NAME PORT | stop NAME" >&2
    exit 2
    ;;
esac
