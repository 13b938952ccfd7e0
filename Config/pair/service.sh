#!/bin/sh
# The pair example's "service": a small HTTP server that says which node serves.
# Started and stopped by the agent's actions (the agent runs them from this directory).
#
#   service.sh start NAME PORT    serve "served by NAME" on 127.0.0.1:PORT until stopped
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
    if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then exit 0; fi
    echo "served by $name" >"www-$name/index.html"
    setsid python3 -m http.server "$port" --bind 127.0.0.1 --directory "www-$name" \
        >"run/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    # Ready when it answers: the agent's start action must mean "serving".
    for _ in $(seq 50); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$port" 2>/dev/null && exit 0
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
