"""Per-message costs inside Rasa 3.6 that need not be paid on every message, removed when our pipeline loads.

- Rasa checks every action server reply with `jsonschema.validate(reply, schema)`. That call first checks
  Rasa's own schema, a constant, against the JSON Schema meta-schema, which costs more than checking the
  reply. Here the schema is checked once, then every reply against it, with the same errors as before (the
  best match, with Rasa's hint on the reply format).
- Rasa's graph runner works out which nodes a run needs (`GraphSchema.minimal_graph_schema`) on every run, three
  times a turn, by a recursion that visits shared dependencies again and again (about 1.4 ms a turn). The
  answer depends only on the schema's nodes and the targets, so it is remembered for them.

`install()` puts both in place; bot/nlu/components.py calls it on import, so every Rasa server that loads our
model gets them, however it is started. tests/unit/test_per_message_costs.py checks the results are Rasa's.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action "
    "endpoint is valid (see Rasa's documentation on custom actions)."
)
_rasas_minimal_graph_schema = GraphSchema.minimal_graph_schema


@functools.lru_cache(maxsize=None)
def _validator(action_class: type) -> Any:
    """The reply schema's validator, its schema checked once."""
    schema = action_class.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = exceptions.best_match(_validator(type(self)).iter_errors(result))
    if error is not None:
        error.message += HINT
        raise error
    return True


def _remembered_minimal_graph_schema(self: GraphSchema, targets: Optional[List[str]] = None) -> GraphSchema:
    """Rasa's answer for these targets, worked out once for this schema's nodes."""
    nodes = tuple((name, id(node), tuple(node.needs.items())) for name, node in self.nodes.items())
    key = (tuple(targets or ()), nodes)
    remembered = self.__dict__.setdefault("_minimal_schemas", {})
    if key not in remembered:
        remembered[key] = _rasas_minimal_graph_schema(self, targets)
    return remembered[key]


def install() -> None:
    """Put the once-checked reply schema and the remembered graph schemas in place (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
    GraphSchema.minimal_graph_schema = _remembered_minimal_graph_schema
