#!/bin/sh
# dist/run.sh: runs this distribution's tau, wherever the folder was moved.
exec "$(dirname "$(readlink -f "$0")")/bin/tau" "$@"
