"""Draw the computational graph behind a :class:`hosila.Value` or a :class:`hosila.Tensor`.

``draw_graph(root)`` walks the graph back from ``root`` and returns a ``graphviz.Digraph``:
one record node per value (its label, then data and grad for a Value, or shape and dtype for
a Tensor) and one small node per operation, with edges in the direction the data flows
(inputs -> op -> output). In Jupyter it displays inline; ``.render()``/``.pipe()`` draw it
with graphviz's ``dot`` program, and :func:`save_graph` writes it to a file.

Each kind of node is described by a small adapter (its parents, its op name, its fields);
another engine plugs in by adding one.

The DOT text (``.source``) needs only the ``graphviz`` Python package. Drawing needs the
``dot`` program (the system package graphviz); without it, :class:`GraphvizNotFoundError`
says how to install it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from hosila.data._util import atomic_write
from hosila.engine import Value
from hosila.tensor import Tensor

__all__ = ["GraphvizNotFoundError", "draw_graph", "save_graph"]

_INSTALL_HINT = (
    "graphviz's 'dot' program was not found on PATH; it is needed to draw graphs. "
    "Install it with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS) or 'conda install graphviz'. The DOT text is still available as "
    "draw_graph(root).source."
)
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The ``dot`` program is missing; the message says how to install it.

    A subclass of ``graphviz.ExecutableNotFound`` (and so of ``RuntimeError``).
    """

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL_HINT)


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose drawing methods explain how to install a missing ``dot``."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError() from exc

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError() from exc


# ---- one adapter per kind of node ----------------------------------------------------------


class _ValueNode:
    """A scalar Value: fields label | data | grad."""

    @staticmethod
    def parents(v: Value) -> tuple[Value, ...]:
        return v._prev

    @staticmethod
    def op(v: Value) -> str:
        return v._op

    @staticmethod
    def fields(v: Value) -> list[str]:
        return [v.label, f"data {v.data:.4f}", f"grad {v.grad:.4f}"]


class _TensorNode:
    """A Tensor: fields name | shape | dtype | grad's shape (values would not fit)."""

    @staticmethod
    def parents(t: Tensor) -> list[Tensor]:
        ctx = t._ctx
        return [] if ctx is None else [p for p in ctx.parents if isinstance(p, Tensor)]

    @staticmethod
    def op(t: Tensor) -> str:
        return "" if t._ctx is None else t._ctx.name

    @staticmethod
    def fields(t: Tensor) -> list[str]:
        grad = "grad None" if t.grad is None else f"grad {tuple(t.grad.shape)}"
        return [t.name or "", f"shape {tuple(t.shape)}", str(t.dtype), grad]


def _adapter(root: object) -> type[_ValueNode] | type[_TensorNode]:
    if isinstance(root, Value):
        return _ValueNode
    if isinstance(root, Tensor):
        return _TensorNode
    raise TypeError(f"draw_graph: root must be a hosila Value or Tensor, got {type(root).__name__}")


def _escape(text: str) -> str:
    """Make text safe inside a graphviz record label."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def draw_graph(root: Value | Tensor, rankdir: str = "LR") -> graphviz.Digraph:
    """The computational graph that produced ``root``, as a ``graphviz.Digraph``.

    Args:
        root: a :class:`hosila.Value` or :class:`hosila.Tensor`.
        rankdir: ``"LR"`` (left to right, the default) or ``"TB"`` (top to bottom), ``"RL"``,
            ``"BT"``.

    Returns:
        A ``graphviz.Digraph`` (displays inline in Jupyter; ``.source`` is the DOT text).
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    kind = _adapter(root)
    g = Graph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    seen = {id(root)}
    stack = [root]
    while stack:  # iterative: deep graphs are fine
        node = stack.pop()
        uid = f"v{id(node)}"
        label = " | ".join(_escape(f) for f in kind.fields(node))
        g.node(uid, label="{ " + label + " }", shape="record")
        op = kind.op(node)
        if op:
            g.node(uid + "op", label=op, shape="ellipse", fontsize="10", height="0.3")
            g.edge(uid + "op", uid)
        for parent in kind.parents(node):
            g.edge(f"v{id(parent)}", uid + "op")
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return g


def save_graph(root: Value | Tensor, path: str | os.PathLike, rankdir: str = "LR") -> Path:
    """Draw the graph behind ``root`` into ``path``; the format comes from the extension.

    ``.svg``, ``.png`` and ``.pdf`` need graphviz's ``dot`` program (else
    :class:`GraphvizNotFoundError`); ``.dot``/``.gv`` write the DOT text. The file is
    written atomically (a temporary file, then renamed). Returns the path.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save_graph: unknown file extension {path.suffix!r} in {str(path)!r}; "
            f"expected one of {sorted(_FORMATS)}"
        )
    graph = draw_graph(root, rankdir=rankdir)
    data = graph.source.encode() if fmt == "dot" else graph.pipe(format=fmt)
    with atomic_write(path) as f:
        f.write(data)
    return path
