"""``History``: one record (a dict of numbers) per epoch, saved as JSON and CSV.

A record holds e.g. ``epoch``, ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``,
``lr``, ``seconds`` and ``images_per_s``. Both files are written atomically, so a run
that is killed never leaves a half-written history.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterator
from typing import Any

from hosila.data._util import atomic_write


class History:
    """The per-epoch metrics of a training run.

    >>> h = History()
    >>> h.append({"epoch": 1, "train_loss": 0.9})
    >>> h["train_loss"]
    [0.9]
    """

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in (records or [])]

    def append(self, record: dict[str, Any]) -> None:
        """Add the record of one epoch (a dict name → number)."""
        if not isinstance(record, dict):
            raise TypeError(f"History.append: record must be a dict, got {type(record).__name__}")
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, key: str) -> list[Any]:
        """All values of one metric, one per epoch (``None`` where an epoch lacks it)."""
        if not any(key in r for r in self.records):
            raise KeyError(f"no metric {key!r} in the history (have {self.keys()})")
        return [r.get(key) for r in self.records]

    def keys(self) -> list[str]:
        """The metric names, in the order they first appear."""
        seen: dict[str, None] = {}
        for r in self.records:
            for k in r:
                seen.setdefault(k, None)
        return list(seen)

    def best(self, key: str, mode: str = "max") -> dict[str, Any] | None:
        """The record with the highest (``mode='max'``) or lowest value of ``key``."""
        if mode not in ("max", "min"):
            raise ValueError(f"History.best: mode must be 'max' or 'min', got {mode!r}")
        rows = [r for r in self.records if _finite(r.get(key))]
        if not rows:
            return None
        pick = max if mode == "max" else min
        return pick(rows, key=lambda r: r[key])

    def state_dict(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.records]

    def load_state_dict(self, records: list[dict[str, Any]]) -> None:
        self.records = [dict(r) for r in records]

    # ---- files -----------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(self.records, indent=1, allow_nan=True) + "\n"

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.keys(), lineterminator="\n")
        writer.writeheader()
        for r in self.records:
            writer.writerow({k: _cell(r.get(k)) for k in self.keys()})
        return buf.getvalue()

    def save(self, folder: str | os.PathLike[str], name: str = "history") -> None:
        """Write ``folder/<name>.json`` and ``folder/<name>.csv`` (atomically)."""
        for ext, text in (("json", self.to_json()), ("csv", self.to_csv())):
            with atomic_write(os.path.join(os.fspath(folder), f"{name}.{ext}"), "w") as f:
                f.write(text)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> History:
        """Read a history written by :meth:`save` (the ``.json`` file)."""
        with open(path, encoding="utf-8") as f:
            records = json.load(f)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError(f"{path}: not a history file (expected a JSON list of records)")
        return cls(records)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, metrics {self.keys()})"


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return v
