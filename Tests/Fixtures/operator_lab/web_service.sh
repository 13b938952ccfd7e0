#!/bin/bash
# The operator lab's service actions, run by the agent (from its configuration's directory)
# inside its node's network namespace:
#
#   web_service.sh start NAME PORT   serve page_server.py's 4096-byte page on 0.0.0.0:PORT
#                                    (fails, as on a full quota, while NAME.quota exists)
#   web_service.sh stop NAME         stop it (no error if it is not running)
#
# `start` returns once the port accepts connections: the agent's start action means "serving".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
name=$2
pidfile="run/$name.pid"
mkdir -p run
alive() {
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

case "$1" in
start)
    port=$3
    # A start that fails as a full quota makes it fail (the test writes NAME.quota).
    if [ -f "$name.quota" ]; then echo "cannot write run/$name.log: Disk quota exceeded" >&2; exit 1; fi
    if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then exit 0; fi
    setsid /usr/bin/python3 "$here/page_server.py" "$name" "$port" "$PWD" >"run/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
        sleep 0.02
    done
    echo "the service of $name did not answer on port $port" >&2
    exit 1
    ;;
stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.02; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
    ;;
*)
    echo "usage: web_service.sh start NAME PORT | stop NAME" >&2
    exit 2
    ;;
esac
