# Sourced by run.sh and test.sh: create or reuse the virtual environment and
# install hosila (editable) with the extras named in $HOSILA_EXTRAS.
# The environment lives in $HOSILA_VENV (default: .venv in the repository root).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HOSILA_VENV:-$root/.venv}"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "hosila needs Python >= 3.10 (found: $("$py" --version 2>&1)); set PYTHON=/path/to/python3.x" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "creating virtual environment in $venv" >&2
    "$py" -m venv "$venv" || {
        echo "could not create a virtual environment; on Debian/Ubuntu: apt-get install python3-venv" >&2
        exit 1
    }
fi
# Reinstall only when pyproject.toml or the requested extras changed.
stamp="$venv/.hosila-install-${HOSILA_EXTRAS:-base}"
want="$(cat "$root/pyproject.toml" | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    spec="$root"
    [ -n "${HOSILA_EXTRAS:-}" ] && spec="$root[$HOSILA_EXTRAS]"
    "$venv/bin/python" -m pip install -q --upgrade pip >&2 || true
    "$venv/bin/python" -m pip install -q -e "$spec" >&2
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$root"
