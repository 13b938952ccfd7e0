#!/bin/sh
# A plugin that breaks the API: exit code 7 must read as UNKNOWN.
echo "something odd"
exit 7
