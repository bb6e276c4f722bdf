"""The README's tour runs as written, and its set-up commands exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no section '## {title}'"
    return match.group(1)


def test_tour_code_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", _section("A short tour"), re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert abs(namespace["o"].data - 0.7071) < 1e-4
    assert abs(namespace["x1"].grad + 1.5) < 1e-9
    assert (tmp_path / "neuron.svg").read_text().count("<svg") == 1
    assert namespace["w"].grad.shape == (3, 2)


def test_setup_commands_exist():
    section = _section("Set up and run")
    for script in ("scripts/run.sh", "scripts/test.sh"):
        assert f"bash {script}" in section
        assert (ROOT / script).is_file()
    assert "apt-get install graphviz" in section
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
