"""DaskGraphRunner.run: the graph's needed nodes called once each, in an order worked out once, without dask.

Dask's synchronous scheduler ordered and dispatched the nodes anew on every run (about 7% of a server's time
under load). A run's nodes form a chain or a small tree and each runs once, after what it needs, in one
thread; the same inputs, outputs and errors.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot.speedups._patch import Patch

_rasas_graph_run = DaskGraphRunner.run


def _run_plan(self: DaskGraphRunner, targets: List[str]) -> List[Tuple[str, Any, Tuple[str, ...]]]:
    """The nodes a run of these targets needs, each after the nodes it needs: (name, node, what it needs)."""
    plans = self.__dict__.setdefault("_run_plans", {})
    key = tuple(targets)
    if key not in plans:
        schema = self._graph_schema.minimal_graph_schema(list(targets))
        plan: List[Tuple[str, Any, Tuple[str, ...]]] = []
        placed: Set[str] = set()

        def place(name: str) -> None:
            if name in placed or name not in schema.nodes:
                return
            placed.add(name)
            needs = tuple(schema.nodes[name].needs.values())
            for needed in needs:
                place(needed)
            plan.append((name, self._instantiated_nodes[name], needs))

        for target in targets:
            place(target)
        plans[key] = plan
    return plans[key]


def _run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None
) -> Dict[str, Any]:
    """Rasa's run of the graph, each needed node called once in a fixed order."""
    run_targets = targets if targets else self._graph_schema.target_names
    plan = _run_plan(self, run_targets)
    results: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(value == node_name for node_name, _, _ in plan):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to "
                f"the `run` method are the same as node names in the graph schema."
            )
        results[name] = (name, value)
    try:
        for name, node, needs in plan:
            if name not in results:  # as in dask, an input of a node's name stands in for the node
                # and a name that is neither an input nor a node is passed on as it is
                results[name] = node(*[results.get(needed, needed) for needed in needs])
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[target] for target in run_targets)


PATCH = Patch(DaskGraphRunner, "run", _run_graph)
