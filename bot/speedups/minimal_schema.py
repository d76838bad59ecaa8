"""GraphSchema.minimal_graph_schema: the nodes a run needs, worked out once for a schema's nodes and targets.

Rasa's graph runner asks on every run, three times a turn, by a recursion that visits shared dependencies again
and again (about 1.4 ms a turn). The answer depends only on the schema's nodes and the targets.
"""

from __future__ import annotations

from typing import List, Optional

from rasa.engine.graph import GraphSchema

from bot.speedups._patch import Patch

_rasas_minimal_graph_schema = GraphSchema.minimal_graph_schema


def _remembered_minimal_graph_schema(self: GraphSchema, targets: Optional[List[str]] = None) -> GraphSchema:
    """Rasa's answer for these targets, worked out once for this schema's nodes."""
    nodes = tuple((name, id(node), tuple(node.needs.items())) for name, node in self.nodes.items())
    key = (tuple(targets or ()), nodes)
    remembered = self.__dict__.setdefault("_minimal_schemas", {})
    if key not in remembered:
        remembered[key] = _rasas_minimal_graph_schema(self, targets)
    return remembered[key]


PATCH = Patch(GraphSchema, "minimal_graph_schema", _remembered_minimal_graph_schema)
