#!/bin/sh
# A plugin that never answers: starts a child (its pid goes to the file named by $1),
# then waits for it. The timeout must kill the whole process group, the child too.
sleep 300 &
echo $! > "$1"
echo "still thinking"
wait
