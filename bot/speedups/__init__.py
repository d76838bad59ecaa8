"""Speed-ups: every replacement of a Rasa, spaCy or TensorFlow internal, in one switchable place.

Each module replaces one attribute (its `PATCH`) with code that gives Rasa's results at less cost. Nothing is
replaced on import: the server's entry point (`python -m bot.speedups run ...`, which bot/serve.py and
deploy/docker-entrypoint.sh start) and training (`python -m bot.speedups train ...`, the Makefile) call
`install()`. `BOT_SPEEDUPS=0` runs stock Rasa, and each patch refuses any Rasa but RASA_VERSION (a warning,
stock behaviour). A model trained with them loads and answers the same without them: the classifiers in
bot/nlu/classifiers.py are Rasa components (subclasses), not patches, and do not live here.

REGISTRY lists each patch: what it replaces, its measured gain (docs/performance.md, the module's docstring)
and the test that checks it against Rasa's own results. Patches that stopped paying for themselves are gone
(docs/performance.md, "Speed-ups removed").
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import List, Mapping, Optional

from bot.settings import settings
from bot.speedups._patch import RASA_VERSION

logger = logging.getLogger(__name__)

SWITCH = "BOT_SPEEDUPS"
RESULTS = "tests/unit/test_speedups_results.py::"
START_UP = "tests/unit/test_speedups_start_up.py::"


@dataclass(frozen=True)
class Speedup:
    """One patch: its module in bot/speedups, what it replaces, what it saves, and its test."""

    module: str
    replaces: str
    gain: str
    test: str


REGISTRY = (
    Speedup(
        "gc_freeze",
        "gc (Python's cycle collector: import-time objects frozen)",
        "each full collection scanned about 490,000 import-time objects, 0.46 s a time",
        "tests/unit/test_speedups.py::test_the_freeze_takes_import_time_objects_out_of_collections",
    ),
    Speedup(
        "reply_schema",
        "rasa.core.actions.action.RemoteAction._validate_action_result",
        "not measured on its own (Rasa's check of its schema cost about 4 ms a turn with jsonschema 3.2)",
        RESULTS + "test_rasas_schema_is_checked_once_not_per_reply",
    ),
    Speedup(
        "graph_runner",
        "rasa.engine.runner.dask.DaskGraphRunner.run",
        "about 7% of a server's time under load (dask's scheduler)",
        RESULTS + "test_the_graph_runs_its_nodes_as_rasas_dask_runner_does",
    ),
    Speedup(
        "rule_lookup",
        "rasa.core.policies.rule_policy.RulePolicy._get_possible_keys",
        "about 1.5 ms a turn, and about 2% of a server under load for the rule keys",
        RESULTS + "test_rule_policy_finds_the_rules_rasa_finds",
    ),
    Speedup(
        "endpoint_session",
        "rasa.utils.endpoints.EndpointConfig.session",
        "JSON of an action call about 1.5 ms a turn, 3 to 4 times less with ujson; about 1 ms of CPU a call "
        "for a new connection",
        RESULTS + "test_an_endpoint_uses_one_connection_again_for_its_calls",
    ),
    Speedup(
        "feature_join",
        "rasa.shared.nlu.training_data.features.Features._combine_sparse_features",
        "about 0.3 ms a join",
        RESULTS + "test_sparse_features_are_joined_into_the_matrix_rasa_makes",
    ),
    Speedup(
        "message_features",
        "rasa.shared.nlu.training_data.message.Message._combine_features",
        "DIET's batch 0.77 ms a message, 0.39 ms with it",
        RESULTS + "test_a_messages_features_are_combined_as_rasa_combines_them",
    ),
    Speedup(
        "count_vectors",
        "rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer.CountVectorsFeaturizer._create_features",
        "about 1 ms a message for the two featurizers",
        RESULTS + "test_count_features_are_the_matrices_rasa_makes",
    ),
    Speedup(
        "spacy_doc",
        "rasa.nlu.utils.spacy_utils.SpacyNLP._doc_for_text",
        "0.68 ms a message, 0.39 ms with it",
        RESULTS + "test_spacy_nlp_gives_rasas_tokens_and_lemmas_without_running_the_entity_ruler",
    ),
    Speedup(
        "spacy_load",
        "rasa.nlu.utils.spacy_utils.SpacyNLP.load_model",
        "about 0.6 s of a server's start",
        START_UP + "test_both_spacy_nodes_share_one_pipeline_that_reads_as_rasas",
    ),
    Speedup(
        "domain_load",
        "rasa.graph_components.providers.domain_provider.DomainProvider.load",
        "not measured on its own (with spacy_load and DIET's quicker tracing: model load 12.9 to 6.1 s)",
        START_UP + "test_the_persisted_domain_loads_as_rasa_loads_it",
    ),
)


def enabled(env: Optional[Mapping[str, str]] = None) -> bool:
    """False when BOT_SPEEDUPS is 0 (or false, no, off): stock Rasa."""
    return settings(env).bot_speedups


def patch(entry: Speedup):
    """The patch object of a registry entry."""
    return importlib.import_module(f"{__name__}.{entry.module}").PATCH


def install(env: Optional[Mapping[str, str]] = None, rasa_version: Optional[str] = None) -> List[str]:
    """Put every speed-up in place (idempotent); the modules installed, none when switched off."""
    if not enabled(env):
        logger.info("speed-ups off (%s=0): stock Rasa", SWITCH)
        return []
    installed = [entry.module for entry in REGISTRY if patch(entry).install(rasa_version)]
    logger.debug("speed-ups installed for Rasa %s: %s", RASA_VERSION, ", ".join(installed))
    return installed


def uninstall() -> None:
    """Put Rasa's own back everywhere (for tests)."""
    for entry in REGISTRY:
        if patch(entry).installed:
            patch(entry).uninstall()
