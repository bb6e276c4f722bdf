#!/usr/bin/env bash
# The main job: train a small CNN on the 8x8 digits embedded in hosila (no download) and
# write the run folder runs/digits-smallcnn (checkpoints, history, curves, confusion matrix).
# Extra arguments go to the command, e.g. `bash scripts/run.sh --epochs 5 --out /tmp/run`.
#
# The matrices of this small network are tiny: one BLAS thread is as fast as two, and on a
# busy machine much faster (two OpenBLAS threads wait for each other when one of them is
# descheduled). Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS yourself to override.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$OMP_NUM_THREADS}"
HOSILA_EXTRAS=
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
hosila train "$@"
