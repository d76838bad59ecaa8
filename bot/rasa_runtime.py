"""A per-message cost inside Rasa 3.6 that need not be paid on every message, removed when our pipeline loads.

Rasa checks every action server reply with `jsonschema.validate(reply, schema)`. That call first checks
Rasa's own schema, a constant, against the JSON Schema meta-schema, which costs more than checking the
reply. `use_checked_schema()` makes Rasa check that schema once, then every reply against it, with the same
errors as before (the best match, with Rasa's hint on the reply format). bot/nlu/components.py calls it on
import, so every Rasa server that loads our model gets it, however it is started.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action "
    "endpoint is valid (see Rasa's documentation on custom actions)."
)


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


def use_checked_schema() -> None:
    """Install the once-checked schema on Rasa's RemoteAction (idempotent)."""
    RemoteAction._validate_action_result = _validate_action_result
