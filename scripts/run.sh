#!/usr/bin/env bash
# The main job: train a small CNN on the 8x8 digits embedded in hosila (no download) and
# write the run folder runs/digits-smallcnn (checkpoints, history, curves, confusion matrix).
# Extra arguments go to the command, e.g. `bash scripts/run.sh --epochs 5 --out /tmp/run`.
HOSILA_EXTRAS=
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
hosila train "$@"
