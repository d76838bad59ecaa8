"""SpacyNLP.load_model: one loaded spaCy pipeline for both SpacyNLP nodes.

The predict graph has two SpacyNLP nodes, one that provides the pipeline to other components and one that
runs it, and each loaded the same pipeline from disk (about 0.6 s each of a server's start). The loaded
pipeline is remembered by its name, so both nodes share one, read-only.
"""

from __future__ import annotations

import functools

from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

from bot.speedups._patch import Patch

_rasas_load_spacy = SpacyNLP.load_model


@functools.lru_cache(maxsize=4)
def _shared_spacy_model(spacy_model_name: str) -> SpacyModel:
    """Rasa's loaded pipeline, once per name."""
    return _rasas_load_spacy(spacy_model_name)


PATCH = Patch(SpacyNLP, "load_model", staticmethod(_shared_spacy_model))
