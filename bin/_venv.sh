# Sourced by bin/demo and bin/test: go to the repository root and make sure .venv exists
# with the project installed. Reinstalls when pyproject.toml changed since the last
# install (its hash is kept in .venv/pyproject.sha256).

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

if [[ ! -x .venv/bin/python ]]; then
    python=python3.11
    command -v "$python" >/dev/null || python=python3
    echo "Creating .venv with $python" >&2
    "$python" -m venv .venv
fi

stamp=.venv/pyproject.sha256
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    echo "Installing the project into .venv (pip install -e '.[dev]')" >&2
    .venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
    echo "$wanted" >"$stamp"
fi
.venv/bin/python -m gaokao.documents.fonts >/dev/null
