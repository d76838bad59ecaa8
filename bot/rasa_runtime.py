"""Per-message costs inside Rasa 3.6 that need not be paid on every message, removed when our pipeline loads.

- Rasa checks every action server reply with `jsonschema.validate(reply, schema)`. That call first checks
  Rasa's own schema, a constant, against the JSON Schema meta-schema, which costs more than checking the
  reply. Here the schema is checked once, then every reply against it, with the same errors as before (the
  best match, with Rasa's hint on the reply format).
- Rasa's graph runner works out which nodes a run needs (`GraphSchema.minimal_graph_schema`) on every run, three
  times a turn, by a recursion that visits shared dependencies again and again (about 1.4 ms a turn). The
  answer depends only on the schema's nodes and the targets, so it is remembered for them.
- The graph runner then hands those nodes to dask's synchronous scheduler, which orders and dispatches them
  anew on every run (about 7% of a server's time under load). A run's nodes form a chain or a small tree and
  each runs once, after what it needs, in one thread; the runner now works out that order once for each set
  of targets and calls the nodes in it, with the same inputs, outputs and errors.
- RulePolicy finds the rules that fit a conversation by testing every rule (136 here) against every state of
  the conversation, three times a turn (about 1.5 ms). Whether a rule fits a state depends only on the rule,
  the state and how far back the state is, so the rules that fit each (state, distance) are remembered and a
  conversation's candidates are their intersection: the same set, by the same test. The rules and the length
  of the longest (read from each rule's JSON) are worked out again only when the lookup's rules change.
- Each call to the action server sends the whole conversation as JSON; the standard library's encoder took
  about 1.5 ms a turn for it. The HTTP sessions Rasa opens for its endpoints encode with ujson (a Rasa
  dependency), which writes the same JSON values three to four times faster. And Rasa opened a new session,
  so a new TCP connection, for every call (about 1 ms of CPU a call, and the action server's too); an
  endpoint now keeps one session per event loop and uses its idle connections again for 2 s.
- Each message's sparse features from our four featurizers are joined side by side several times a turn
  (for DIET and for logistic regression). scipy's general `hstack` spent about 0.3 ms on each; two COO
  matrices are joined here by concatenating their entries, which gives the same matrix, entry for entry.
  Rasa makes DIET's sequence and sentence matrices by deep-copying the first featurizer's and joining the
  others to it one by one (about 0.6 ms a message); they are joined here in one step, to the same matrices.
- Each count-vector featurizer asks scikit-learn for two count matrices a message (one row per token, and
  the sentence); Rasa then sorts each and converts it to COO. scipy's checks on building, sorting and
  converting cost three times the counting (about 1 ms a message for the two featurizers). The same COO
  matrices are built here directly from the vectorizer's own analyzer and vocabulary, made and checked once
  for each fitted vectorizer. (No message words are kept between messages: they may be names.)
- SpacyNLP runs the whole spaCy pipeline on each message lower-cased, entity ruler included (about a fifth of
  the NLU's spaCy time). Nothing reads the entities of that doc: SpacyEntityExtractor parses the text again
  in its own case, and the safeguarding patterns may not use entities. SpacyNLP's doc now skips the ruler;
  its tokens and lemmas are the same.
- Before each message's intent is checked against the domain, Rasa asks whether the domain is empty by
  writing the whole domain out as a dictionary and comparing it with an empty one's (0.1 ms alone, 2% of
  a server's samples under load). A domain found not empty is remembered as such; an empty one is asked again.
- Python's cycle collector scans every container object a process holds on each full collection: about
  490,000 after the imports (TensorFlow, Rasa, spaCy), 0.46 s a time. They live as long as the server, so
  they are frozen (`gc.freeze()`) when our pipeline is imported, and collections scan only what turns make.

`install()` puts them in place; bot/nlu/components.py calls it on import, so every Rasa server that loads our
model gets them, however it is started. tests/unit/test_per_message_costs.py checks the results are Rasa's.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import weakref
from collections import Counter, OrderedDict
from typing import Any, Dict, FrozenSet, Hashable, List, Optional, Set, Tuple

import aiohttp
import numpy as np
import scipy.sparse
import ujson
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from spacy.language import Language
from spacy.tokens import Doc

from bot.nlu.pipeline import entity_pipes

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action "
    "endpoint is valid (see Rasa's documentation on custom actions)."
)
_rasas_minimal_graph_schema = GraphSchema.minimal_graph_schema
_rasas_graph_run = DaskGraphRunner.run
_rasas_possible_rule_keys = RulePolicy._get_possible_keys
_rasas_session = EndpointConfig.session
_rasas_combine_sparse_features = Features._combine_sparse_features
_rasas_combine_features = Message._combine_features
_rasas_create_count_features = CountVectorsFeaturizer._create_features
_rasas_domain_is_empty = Domain.is_empty
_INT32_MAX = np.iinfo(np.int32).max
_MAX_REMEMBERED_STATES = 20_000
KEEPALIVE_SECONDS = 2.0


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
    """DaskGraphRunner.run: Rasa's run of the graph, each needed node called once in a fixed order, no dask."""
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


def _possible_rule_keys(self: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> Set[str]:
    """RulePolicy._get_possible_keys: the rules that fit every state, latest first, as Rasa tests them."""
    keys, longest = _rule_keys(self, lookup)
    possible = set(keys)
    for distance, state in enumerate(reversed(states)):
        if distance >= longest or not possible:
            break  # every rule fits a state further back than the rule is long
        possible &= _rules_fitting(self, keys, distance, state)
    return possible


def _rule_keys(self: RulePolicy, lookup: Dict[str, str]) -> Tuple[FrozenSet[str], int]:
    """The lookup's rules and the length of the longest, worked out again only when its rules have changed."""
    remembered: Dict[int, Tuple[FrozenSet[str], int]] = self.__dict__.setdefault("_rule_keys", {})
    known = remembered.get(id(lookup))
    if known is None or known[0] != lookup.keys():
        keys = frozenset(lookup)
        known = remembered[id(lookup)] = (keys, max((len(self._rule_key_to_state(key)) for key in keys), default=0))
    return known


def _rules_fitting(self: RulePolicy, keys: FrozenSet[str], distance: int, state: Dict[str, Any]) -> FrozenSet[str]:
    remembered: OrderedDict = self.__dict__.setdefault("_rules_fitting", OrderedDict())
    key = (keys, distance, _frozen(state))
    fitting = remembered.get(key)
    if fitting is None:
        fitting = frozenset(rule for rule in keys if self._is_rule_applicable(rule, distance, state))
        remembered[key] = fitting
        if len(remembered) > _MAX_REMEMBERED_STATES:
            remembered.popitem(last=False)
    return fitting


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((name, _frozen(item)) for name, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_frozen(item) for item in value))
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(item) for item in value)
    return value


class _KeptSession(aiohttp.ClientSession):
    """A client session that stays open when Rasa's `async with endpoint.session()` block ends."""

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _session(self: EndpointConfig) -> aiohttp.ClientSession:
    """EndpointConfig.session: Rasa's client session for the endpoint, its JSON written by ujson.

    Inside a running event loop the endpoint keeps one session for that loop, whose idle connections are
    used again for up to KEEPALIVE_SECONDS (fewer than the action server's 5 s, so the server never closes
    one first).
    """
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    settings = {
        "headers": self.headers,
        "auth": auth,
        "timeout": aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        "json_serialize": ujson.dumps,
    }
    loop = asyncio.get_running_loop()  # Rasa opens its sessions in coroutines
    kept = self.__dict__.setdefault("_kept_sessions", weakref.WeakKeyDictionary())
    session = kept.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
        session = kept[loop] = _KeptSession(connector=connector, **settings)
    return session


def _combine_sparse_features(self: Features, additional_features: Features) -> None:
    """Features._combine_sparse_features: two COO matrices with 32-bit indices joined by their entries."""
    left, right = self.features, additional_features.features
    if not _joinable([left, right]):
        return _rasas_combine_sparse_features(self, additional_features)
    self.features = side_by_side([left, right])
    self._cached_fingerprint = None


def _combine_features(features: List[Features], featurizers: List[str]) -> Optional[Features]:
    """Message._combine_features: a message's COO matrices of one kind joined in one step, as Rasa joins them
    one by one after deep-copying the first (which alone took a third of DIET's batch-making)."""
    matrices = [f.features for f in features]
    if len(features) < 2 or not _joinable(matrices):
        return _rasas_combine_features(features, featurizers)
    return Features(side_by_side(matrices), features[0].type, features[0].attribute, featurizers)


def _joinable(matrices: List[Any]) -> bool:
    """Whether side_by_side joins these as Rasa would: COO, the same rows, 32-bit indices before and after."""
    return (
        all(scipy.sparse.isspmatrix_coo(matrix) for matrix in matrices)
        and len({matrix.shape[0] for matrix in matrices}) == 1
        and all(index.dtype == np.int32 for matrix in matrices for index in (matrix.row, matrix.col))
        and sum(matrix.shape[1] for matrix in matrices) < _INT32_MAX
    )


def side_by_side(matrices: List[scipy.sparse.coo_matrix]) -> scipy.sparse.coo_matrix:
    """COO matrices with the same rows, joined column-wise by concatenating their entries: scipy's hstack, entry
    for entry, without its general checks. Also joins a served message's sentence row (bot/nlu/classifiers.py).
    """
    offsets, width = [], 0
    for matrix in matrices:
        offsets.append(width)
        width += matrix.shape[1]
    rows = np.concatenate([matrix.row for matrix in matrices])
    columns = np.concatenate([matrix.col + offset for matrix, offset in zip(matrices, offsets)])
    data = np.concatenate([matrix.data for matrix in matrices])
    return scipy.sparse.coo_matrix((data, (rows, columns)), shape=(matrices[0].shape[0], width))


class _Analysis:
    """A fitted vectorizer's analyzer and vocabulary, checked once rather than on every message."""

    def __init__(self, vectorizer: Any):
        vectorizer._check_vocabulary()  # scikit-learn's own errors for an unfitted or empty vocabulary
        self.vocabulary = vectorizer.vocabulary_
        self.analyze = vectorizer.build_analyzer()


_analyses: weakref.WeakKeyDictionary[Any, _Analysis] = weakref.WeakKeyDictionary()


def _analysis(vectorizer: Any) -> _Analysis:
    """The vectorizer's analysis, made again if it has been fitted since (a new vocabulary)."""
    analysis = _analyses.get(vectorizer)
    if analysis is None or analysis.vocabulary is not vectorizer.vocabulary_:
        analysis = _analyses[vectorizer] = _Analysis(vectorizer)
    return analysis


def _token_counts(vectorizer: Any, documents: List[str]) -> scipy.sparse.coo_matrix:
    """`vectorizer.transform(documents)`, its indices sorted, as COO: what Rasa keeps, built directly."""
    analysis = _analysis(vectorizer)
    rows: List[int] = []
    columns: List[int] = []
    counts: List[int] = []
    for row, document in enumerate(documents):
        counter = Counter(map(analysis.vocabulary.get, analysis.analyze(document)))
        counter.pop(None, None)  # features outside the vocabulary
        for column in sorted(counter):
            rows.append(row)
            columns.append(column)
            counts.append(counter[column])
    data = np.asarray(counts, dtype=vectorizer.dtype)
    if vectorizer.binary:
        data.fill(1)
    shape = (len(documents), len(analysis.vocabulary))
    index = (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32))
    return scipy.sparse.coo_matrix((data, index), shape=shape)


def _create_count_features(
    self: CountVectorsFeaturizer, attribute: str, all_tokens: List[List[str]]
) -> Tuple[List[Optional[scipy.sparse.spmatrix]], List[Optional[scipy.sparse.spmatrix]]]:
    """CountVectorsFeaturizer._create_features: each message's token rows and sentence row, as Rasa makes them."""
    vectorizer = self.vectorizers.get(attribute)
    if not vectorizer:
        return [None], [None]
    sequences: List[Optional[scipy.sparse.spmatrix]] = []
    sentences: List[Optional[scipy.sparse.spmatrix]] = []
    for tokens in all_tokens:
        if not tokens:
            sequences.append(None)
            sentences.append(None)
            continue
        sequences.append(_token_counts(vectorizer, tokens))
        dense = attribute in DENSE_FEATURIZABLE_ATTRIBUTES
        sentences.append(_token_counts(vectorizer, [" ".join(tokens)]) if dense else None)
    return sequences, sentences


def _doc_for_text(self: SpacyNLP, model: Language, text: str) -> Doc:
    """SpacyNLP._doc_for_text without the entity ruler: its entities on this lower-cased doc go unread."""
    return model(self._preprocess_text(text), disable=entity_pipes(model))


def _domain_is_empty(self: Domain) -> bool:
    """Domain.is_empty: Rasa's answer; a domain with content is remembered as not empty."""
    if self.__dict__.get("_has_content"):
        return False
    empty = _rasas_domain_is_empty(self)
    self.__dict__["_has_content"] = not empty
    return empty


def install() -> None:
    """Put all of the above in place of Rasa's own (idempotent)."""
    gc.collect()
    gc.freeze()  # what the imports made stays; the cycle collector need not scan it again
    RemoteAction._validate_action_result = _validate_action_result
    GraphSchema.minimal_graph_schema = _remembered_minimal_graph_schema
    DaskGraphRunner.run = _run_graph
    RulePolicy._get_possible_keys = _possible_rule_keys
    EndpointConfig.session = _session
    Features._combine_sparse_features = _combine_sparse_features
    Message._combine_features = staticmethod(_combine_features)
    CountVectorsFeaturizer._create_features = _create_count_features
    Domain.is_empty = _domain_is_empty
    SpacyNLP._doc_for_text = _doc_for_text
