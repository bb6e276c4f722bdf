#!/usr/bin/env bash
# Run the test suite (and the linter) in the project's virtual environment.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_engine.py -x`.
HOSILA_EXTRAS=test
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ruff check src tests benchmarks examples
ruff format --check src tests benchmarks examples
python -m pytest -n "${HOSILA_TEST_WORKERS:-2}" "$@"
