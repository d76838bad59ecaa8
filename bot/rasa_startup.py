"""Start-up work inside Rasa 3.6 that a server paid twice or more, done once when our pipeline loads.

- The predict graph has two SpacyNLP nodes, one that provides the spaCy pipeline to other components and one
  that runs it, and each loaded the same pipeline from disk (about 0.6 s each). The loaded pipeline is
  remembered by its name, so both nodes share one, read-only.
- The domain provider loads the domain that training wrote into the model. Rasa's loader parsed that YAML four
  times (is it a domain file, schema check, read, read again to merge one file with nothing) and built the
  domain twice. It was checked against the schema at training time; here it is read once and built once.

`install()` puts them in place; bot/nlu/components.py calls it on import, before the graph's nodes load.
tests/unit/test_start_up_costs.py checks the results are Rasa's.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.core.domain import Domain

DOMAIN_FILE = "domain.yml"  # the name DomainProvider._persist writes
_rasas_load_spacy = SpacyNLP.load_model
_rasas_load_domain = DomainProvider.load.__func__


@functools.lru_cache(maxsize=4)
def _shared_spacy_model(spacy_model_name: str) -> SpacyModel:
    """Rasa's loaded pipeline, once per name."""
    return _rasas_load_spacy(spacy_model_name)


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


def install() -> None:
    """Put both in place of Rasa's own (idempotent)."""
    SpacyNLP.load_model = staticmethod(_shared_spacy_model)
    DomainProvider.load = classmethod(_load_domain_once)
