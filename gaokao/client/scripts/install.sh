#!/bin/sh
# Installs the point client (gaokao, 客户版) on a Linux PC from this folder, without
# network: a virtual environment in the user's folder, the start command gaokao-client,
# a menu and desktop entry, and (with "autostart") a start at sign-in.
#
#   sh install.sh [READER_PORT] [autostart]     e.g. sh install.sh /dev/ttyUSB0 autostart
#
# READER_PORT is the ID-card reader's serial port ("sim" for the simulated reader); it is
# kept in reader.txt beside the start script. Needs Python 3.11 (python3.11 or python3).
# Running it again installs the newer package of the folder and keeps the data.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
app=${GAOKAO_CLIENT_APP:-"${XDG_DATA_HOME:-$HOME/.local/share}/gaokao-client-app"}
reader=${1:-}
autostart=${2:-}

python=${PYTHON:-}
if [ -z "$python" ]; then
    for name in python3.11 python3; do
        if command -v "$name" >/dev/null 2>&1; then python=$name; break; fi
    done
fi
if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "Python 3.11 is needed: install it first (see point-guide.md)." >&2
    exit 1
fi

echo "Installing the point client into $app ..."
"$python" -m venv "$app/venv"
"$app/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-index --find-links "$here" --upgrade gaokao

cp "$here/start.sh" "$app/start.sh"
chmod 755 "$app/start.sh"
if [ -n "$reader" ]; then printf '%s\n' "$reader" >"$app/reader.txt"; fi

bin="$HOME/.local/bin"
mkdir -p "$bin"
ln -sf "$app/start.sh" "$bin/gaokao-client"
ln -sf "$app/venv/bin/gaokao" "$bin/gaokao"

entry="[Desktop Entry]
Type=Application
Name=gaokao point client
Name[zh_CN]=报名点客户端
Exec=$app/start.sh
Terminal=true
Categories=Office;
"
applications="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$applications"
printf '%s' "$entry" >"$applications/gaokao-client.desktop"
desktop=$(xdg-user-dir DESKTOP 2>/dev/null || echo "$HOME/Desktop")
if [ -d "$desktop" ]; then
    printf '%s' "$entry" >"$desktop/gaokao-client.desktop"
    chmod 755 "$desktop/gaokao-client.desktop"
fi
if [ "$autostart" = "autostart" ]; then
    mkdir -p "${XDG_CONFIG_HOME:-$HOME/.config}/autostart"
    printf '%s' "$entry" >"${XDG_CONFIG_HOME:-$HOME/.config}/autostart/gaokao-client.desktop"
fi

echo "Installed: $("$app/venv/bin/gaokao" client version)"
echo "Enrol this PC once (password and authenticator code of the point account):"
echo "    $bin/gaokao client enrol --server https://SERVER --username POINT-ACCOUNT"
echo "Then start it every day with the desktop entry, or: $bin/gaokao-client"
