#!/bin/sh
# The pair example's health check, a Nagios-style plugin: CRITICAL while the file
# NAME.broken exists in this directory (`touch alpha.broken` breaks alpha), OK otherwise.
name=$1
if [ -e "$(dirname "$0")/$name.broken" ]; then
    echo "CRITICAL - $name is marked broken ($name.broken exists)"
    exit 2
fi
echo "OK - $name is healthy"
exit 0
