"""Visualisation: drawing computational graphs (``draw_graph``, ``save_graph``)."""

from hosila.viz.graph import GraphvizNotFoundError, draw_graph, save_graph

__all__ = ["GraphvizNotFoundError", "draw_graph", "save_graph"]
