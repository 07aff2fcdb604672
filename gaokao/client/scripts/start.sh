#!/bin/sh
# Starts the point client in this window (gaokao client run): the office web on
# http://127.0.0.1:8001/office/, the ID-card reader bridge and sync. Ctrl+C stops it.
# Installed by install.sh beside the virtual environment; reader.txt names the reader's port.
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
set --
if [ -s "$here/reader.txt" ]; then set -- --reader "$(head -n 1 "$here/reader.txt")"; fi
"$here/venv/bin/gaokao" client run --open-browser "$@"
status=$?
if [ -t 0 ] && [ "$status" -ne 0 ]; then printf 'Press Enter to close.'; read -r _; fi
exit "$status"
