"""hosila.viz.draw_graph / save_graph for Value and Tensor graphs, with and without `dot`."""

from __future__ import annotations

import re

import graphviz
import pytest

import hosila
from hosila import Value
from hosila.viz import GraphvizNotFoundError, draw_graph, save_graph


def _neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, [x1, x2, w1, w2, b, n, o]


def _records(g: graphviz.Digraph) -> dict[str, str]:
    """node id -> record label, from the DOT source."""
    return dict(re.findall(r'^\s*(\w+) \[label="\{ (.*?) \}" shape=record\]', g.source, re.M))


def _edges(g: graphviz.Digraph) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", g.source, re.M)


def test_draw_graph_shows_every_value_with_label_data_and_grad():
    o, values = _neuron()
    g = draw_graph(o)
    assert isinstance(g, graphviz.Digraph)
    records = _records(g)
    assert len(records) == 10  # 5 leaves, x1*w1, x2*w2, their sum, n, o
    for v in values:
        fields = records[f"v{id(v)}"].split(" | ")
        assert fields == [v.label, f"data {v.data:.4f}", f"grad {v.grad:.4f}"]
    assert "grad -1.5000" in records[f"v{id(values[0])}"]  # x1
    assert "rankdir=LR" in g.source


def test_draw_graph_op_nodes_and_data_flow_edges():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    g = draw_graph(c, rankdir="TB")
    ops = dict(re.findall(r"^\s*(\w+op) \[label=(\S+)", g.source, re.M))
    assert ops == {f"v{id(c)}op": '"*"'}
    edges = set(_edges(g))
    assert edges == {
        (f"v{id(a)}", f"v{id(c)}op"),
        (f"v{id(b)}", f"v{id(c)}op"),
        (f"v{id(c)}op", f"v{id(c)}"),
    }
    assert "rankdir=TB" in g.source


def test_reused_node_is_drawn_once_with_two_edges():
    b = Value(3.0, label="b")
    c = b * b
    g = draw_graph(c)
    assert len(_records(g)) == 2
    assert _edges(g).count((f"v{id(b)}", f"v{id(c)}op")) == 2


def test_deep_graph_draws_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y + 1.0
    assert len(_records(draw_graph(y))) == 5001


def test_labels_are_escaped_and_render():
    a = Value(1.0, label='we{ir}d|<"x">\\')
    b = a.exp()
    g = draw_graph(b)
    assert r"we\{ir\}d\|\<\"x\"\>\\" in g.source
    svg = g.pipe(format="svg").decode()
    assert "we{ir}d|&lt;&quot;x&quot;&gt;" in svg


def test_tensor_graph_shows_op_names_shapes_and_dtype():
    a = hosila.randn(2, 3, requires_grad=True)
    a.name = "a"
    w = hosila.randn(3, 4, requires_grad=True)
    y = (a.matmul(w) * 2.0).relu().sum()
    y.backward()
    g = draw_graph(y)
    src = g.source
    for op in ("MatMul", "Mul", "Relu", "Sum"):
        assert re.search(rf"label={op}\b", src, re.I) or f'label="{op}"' in src, op
    records = _records(g)
    assert records[f"v{id(a)}"] == "a | shape (2, 3) | float32 | grad (2, 3)"
    assert records[f"v{id(w)}"] == " | shape (3, 4) | float32 | grad (3, 4)"
    assert "shape (2, 4)" in src and "shape ()" in src
    assert len(records) == 6  # a, w, a@w, *2, relu, sum (the constant 2.0 is not a node)


def test_tensor_graph_op_names_come_from_ctx():
    x = hosila.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    g = draw_graph(y)
    assert f"v{id(y)}op [label={y._ctx.name} " in g.source
    assert _edges(g).count((f"v{id(x)}", f"v{id(y)}op")) == 2
    leaf = hosila.tensor([1.0])
    assert len(_records(draw_graph(leaf))) == 1


def test_bad_arguments():
    with pytest.raises(TypeError, match="draw_graph: root must be a hosila Value or Tensor.*float"):
        draw_graph(1.0)
    with pytest.raises(ValueError, match="rankdir must be .*got 'XY'"):
        draw_graph(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match=r"save_graph: unknown file extension '\.jpg'"):
        save_graph(Value(1.0), "graph.jpg")


@pytest.mark.parametrize(
    "name,magic", [("g.svg", b"<?xml"), ("g.png", b"\x89PNG"), ("g.pdf", b"%PDF"), ("g.dot", b"")]
)
def test_save_graph_formats(tmp_path, name, magic):
    o, _ = _neuron()
    path = save_graph(o, tmp_path / "sub" / name)
    assert path == tmp_path / "sub" / name
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 100
    if name.endswith(".svg"):
        text = data.decode()
        assert "x1" in text and "grad &#45;1.5000" in text and "tanh" in text
    if name.endswith(".dot"):
        assert data.decode() == draw_graph(o).source
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary files left


def test_displays_inline_in_jupyter():
    o, _ = _neuron()
    bundle = draw_graph(o)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "x1" in bundle["image/svg+xml"]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which graphviz's `dot` cannot be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_without_dot_the_source_still_works(no_dot, tmp_path):
    o, _ = _neuron()
    g = draw_graph(o)
    assert "x1" in g.source
    path = save_graph(o, tmp_path / "g.dot")
    assert path.read_text() == g.source


def test_without_dot_rendering_says_how_to_install(no_dot, tmp_path):
    o, _ = _neuron()
    g = draw_graph(o)
    for draw in (
        lambda: g.pipe(format="svg"),
        lambda: g.render(tmp_path / "r", format="svg"),
        lambda: g._repr_mimebundle_(),  # what Jupyter calls
        lambda: save_graph(o, tmp_path / "g.svg"),
    ):
        with pytest.raises(GraphvizNotFoundError) as info:
            draw()
        msg = str(info.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg
        assert ".source" in msg
        assert isinstance(info.value, graphviz.ExecutableNotFound)
        assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()


def test_failed_render_keeps_the_old_file(no_dot, tmp_path):
    target = tmp_path / "g.png"
    target.write_bytes(b"old")
    with pytest.raises(GraphvizNotFoundError):
        save_graph(Value(1.0), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name != "empty-bin"] == ["g.png"]
