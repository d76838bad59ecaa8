"""DomainProvider.load: the domain that training wrote into the model, parsed once and built once.

Rasa's loader parsed that YAML four times (is it a domain file, schema check, read, read again to merge one
file with nothing) and built the domain twice. It was checked against the schema at training time.
"""

from __future__ import annotations

from typing import Any, Dict

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.shared.core.domain import Domain

from bot.speedups._patch import Patch

DOMAIN_FILE = "domain.yml"  # the name DomainProvider._persist writes
_rasas_load_domain = DomainProvider.load.__func__


def _load_domain_once(
    cls: type,
    config: Dict[str, Any],
    model_storage: ModelStorage,
    resource: Resource,
    execution_context: ExecutionContext,
    **kwargs: Any,
) -> DomainProvider:
    """The persisted domain, parsed and built once; Rasa's own loader if it is not the one file it wrote."""
    with model_storage.read_from(resource) as directory:
        files = [path for path in directory.rglob("*") if path.is_file()]
        if [path.name for path in files] != [DOMAIN_FILE]:
            return _rasas_load_domain(cls, config, model_storage, resource, execution_context, **kwargs)
        data = rasa.shared.utils.io.read_yaml(rasa.shared.utils.io.read_file(files[0]))
    return cls(model_storage, resource, Domain.from_dict(data))


PATCH = Patch(DomainProvider, "load", classmethod(_load_domain_once))
