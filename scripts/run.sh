#!/usr/bin/env bash
# The main job: train a small network on the data embedded in hosila (no download).
# Extra arguments go to the command, e.g. `bash scripts/run.sh --out /tmp/moons`.
HOSILA_EXTRAS=
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
hosila demo moons "$@"
