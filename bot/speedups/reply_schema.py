"""RemoteAction._validate_action_result: the action server's reply checked against a validator made once.

Rasa calls `jsonschema.validate(reply, schema)`, which first checks Rasa's own schema, a constant, against the
JSON Schema meta-schema: more work than checking the reply. Here the schema is checked once, then every reply
against it, with the same errors (the best match, with Rasa's hint on the reply format).
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction

from bot.speedups._patch import Patch

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


PATCH = Patch(RemoteAction, "_validate_action_result", _validate_action_result)
