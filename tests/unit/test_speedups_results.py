"""The speed-ups (bot/speedups/) must leave every result exactly as Rasa's own (bench/ measures the gain).

Each test runs with the speed-ups installed, and compares with Rasa's original, kept by each module.
"""

import numpy as np
import pytest
import scipy.sparse
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.endpoints import EndpointConfig

from bot import speedups


@pytest.fixture(autouse=True, scope="module")
def installed():
    """Every speed-up in place for these tests, and Rasa's own back afterwards."""
    assert speedups.install(env={})
    yield
    speedups.uninstall()


def _classifier(cls, tmp_path, name, **settings):
    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    context = ExecutionContext(GraphSchema({}), node_name=name)
    return cls.create({**cls.get_default_config(), **settings}, storage, Resource(name), context), storage, context


def test_an_action_reply_is_still_checked_against_rasas_schema():
    action = RemoteAction("action_answer", EndpointConfig("http://localhost:1/webhook"))
    assert action._validate_action_result({"events": [{"event": "slot", "name": "quiz", "value": None}]})
    assert action._validate_action_result({"responses": [{"text": "hello"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})
    with pytest.raises(ValidationError):
        action._validate_action_result({"responses": "not a list"})


def test_rasas_schema_is_checked_once_not_per_reply(monkeypatch):
    action = RemoteAction("action_answer", EndpointConfig("http://localhost:1/webhook"))
    action._validate_action_result({"responses": []})
    cls = validators.validator_for(RemoteAction.action_response_format_spec())
    checked = []
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, schema: checked.append(schema)))
    for _ in range(3):
        action._validate_action_result({"responses": [{"text": "hello"}]})
    assert checked == []


class _Recorded:
    """A graph component that records its calls and returns a value built from its inputs (or fails)."""

    calls: list = []

    @staticmethod
    def get_default_config():
        return {}

    @classmethod
    def create(cls, config, model_storage, resource, execution_context):
        return cls(config, execution_context.node_name)

    def __init__(self, config, name):
        self.config, self.name = config, name

    def run(self, **inputs):
        _Recorded.calls.append(self.name)
        if self.config.get("fail"):
            raise self.config["fail"]
        return {"node": self.name, "inputs": inputs}


def _runner(tmp_path, fail=None):
    from rasa.engine.graph import SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner

    def node(config=None, **needs):
        return SchemaNode(needs=needs, uses=_Recorded, constructor_name="create", fn="run", config=config or {})

    nodes = {
        "tokens": node(messages="__message__"),
        "features": node(messages="tokens"),
        "intents": node(messages="features", tokens="tokens"),
        "entities": node({"fail": fail} if fail else None, messages="features", tokens="tokens"),
        "parsed": node(a="intents", b="entities"),
        "policy": node(tracker="__tracker__", parsed="parsed"),
        "unused": node(messages="tokens"),
    }
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner.create(GraphSchema(nodes), storage, ExecutionContext(GraphSchema(nodes), "m"), [])


def test_the_graph_runs_its_nodes_as_rasas_dask_runner_does(tmp_path):
    from bot.speedups import graph_runner

    runner = _runner(tmp_path)
    inputs = {"__message__": ["hi"], "__tracker__": {"sender": "s"}}
    for targets in (["policy"], ["parsed", "tokens"], None, ["policy"]):
        _Recorded.calls.clear()
        ours, ours_calls = runner.run(inputs, targets), list(_Recorded.calls)
        _Recorded.calls.clear()
        rasas, rasas_calls = graph_runner._rasas_graph_run(runner, inputs, targets), list(_Recorded.calls)
        assert ours == rasas and sorted(ours_calls) == sorted(rasas_calls)
        assert len(ours_calls) == len(set(ours_calls))  # each node once
        order = {name: i for i, name in enumerate(ours_calls)}
        assert all(order[n] > order["tokens"] for n in ours_calls if n != "tokens")  # after what it needs
    assert ours["policy"]["inputs"]["parsed"]["inputs"]["b"]["node"] == "entities"
    assert runner.__dict__["_run_plans"]  # the order was worked out and kept
    with pytest.raises(graph_runner.GraphRunError):  # an input named like a node, as Rasa refuses it
        runner.run({"__message__": "tokens"}, ["policy"])


@pytest.mark.parametrize("fail", [ValueError("broken"), RuntimeError("broken")])
def test_a_failing_node_fails_the_run_as_in_rasas_runner(tmp_path, fail):
    from bot.speedups import graph_runner

    runner = _runner(tmp_path, fail=fail)
    inputs = {"__message__": ["hi"], "__tracker__": {}}
    with pytest.raises(Exception) as ours:
        runner.run(inputs, ["policy"])
    with pytest.raises(Exception) as rasas:
        graph_runner._rasas_graph_run(runner, inputs, ["policy"])
    assert type(ours.value) is type(rasas.value) and type(ours.value.__cause__) is type(rasas.value.__cause__)


def _rule_states(rng, length, start=False):
    intents = ["greet", "consent_what_is", "law_nudes_illegal", "disclosure_abuse", "thanks"]
    actions = ["action_listen", "action_answer", "utter_safety", "action_quiz"]
    states = []
    for i in range(length):
        state = {"user": {"intent": str(rng.choice(intents))}}
        if rng.rand() < 0.3:
            state["user"]["entities"] = ("image_word",)
        if not (start and i == 0):
            state["prev_action"] = {"action_name": str(rng.choice(actions))}
        if rng.rand() < 0.3:
            state["slots"] = {"audience": (1.0, 0.0)}
        states.append(state)
    return states


def test_rule_policy_finds_the_rules_rasa_finds(tmp_path):
    import json
    from collections import Counter

    from rasa.core.policies.rule_policy import RulePolicy

    from bot.speedups import rule_lookup

    rng = np.random.RandomState(11)
    storage = LocalModelStorage(tmp_path)
    policy = RulePolicy.create(
        RulePolicy.get_default_config(), storage, Resource("rules"), ExecutionContext(GraphSchema({}))
    )
    rules = [_rule_states(rng, rng.randint(1, 4), start=rng.rand() < 0.2) for _ in range(60)]
    lookup = {json.dumps(states): "action_answer" for states in rules}
    conversations = [_rule_states(rng, rng.randint(1, 9), start=True) for _ in range(300)]
    conversations += conversations[:100]  # asked again: remembered answers must still be Rasa's
    found = Counter()
    for states in conversations:
        expected = rule_lookup._rasas_possible_rule_keys(policy, lookup, states)
        assert policy._get_possible_keys(lookup, states) == expected
        found.update(expected)
    assert sum(found.values()) > 100  # plenty of rules fitted, not only empty sets
    assert policy.__dict__["_rules_fitting"]  # and the remembered path was taken
    # Training changes a lookup in place (rules added, contradicting ones removed): the change is followed.
    del lookup[found.most_common(1)[0][0]]
    lookup[json.dumps(conversations[0][-2:])] = "action_answer"
    for states in conversations:
        assert policy._get_possible_keys(lookup, states) == rule_lookup._rasas_possible_rule_keys(
            policy, lookup, states
        )


def test_endpoint_sessions_are_rasas_writing_json_with_ujson():
    import asyncio
    import json

    import ujson

    from bot.speedups import endpoint_session

    endpoint = EndpointConfig(
        "http://localhost:1/webhook", headers={"X-School": "1"}, basic_auth={"username": "u", "password": "p"}
    )

    async def both():
        ours, rasas = endpoint.session(), endpoint_session._rasas_session(endpoint)
        try:
            return [(s.headers, s.auth, s.timeout, s.json_serialize) for s in (ours, rasas)]
        finally:
            await ours.close()
            await rasas.close()

    ours, rasas = asyncio.run(both())
    assert ours[:3] == rasas[:3] and ours[3] is ujson.dumps and rasas[3] is json.dumps
    state = {"sender_id": "p1", "events": [{"event": "user", "text": "café / <b>", "timestamp": 1764507000.123456}]}
    assert json.loads(ujson.dumps(state)) == state


def test_an_endpoint_uses_one_connection_again_for_its_calls():
    import asyncio

    from aiohttp import web

    from bot.speedups import endpoint_session

    async def calls():
        peers = []

        async def webhook(request):
            peers.append(request.transport.get_extra_info("peername"))
            return web.json_response({"events": [], "responses": [], "got": (await request.json())["n"]})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            replies = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
            kept = endpoint.session()
            assert isinstance(kept, endpoint_session._KeptSession) and not kept.closed
            await asyncio.sleep(endpoint_session.KEEPALIVE_SECONDS + 0.5)  # idle longer than the keep-alive
            replies.append(await endpoint.request(json={"n": 3}, method="post"))
            await kept.close()
            return replies, peers
        finally:
            await runner.cleanup()

    replies, peers = asyncio.run(calls())
    assert [reply["got"] for reply in replies] == [0, 1, 2, 3]
    assert len(set(peers[:3])) == 1  # one connection for the three calls
    assert peers[3] != peers[0]  # an idle connection is given up, not used after the keep-alive


def test_sparse_features_are_joined_into_the_matrix_rasa_makes():
    from bot.speedups import feature_join

    rng = np.random.RandomState(5)
    for rows, dtypes in ((1, (np.float32, np.float32)), (9, (np.float32, np.float64)), (14, (np.int64, np.float32))):
        parts = [
            scipy.sparse.random(rows, width, density=0.2, format="coo", dtype=dtype, random_state=rng)
            for width, dtype in zip((40, 12000), dtypes)
        ]
        ours, rasas = (Features(parts[0].copy(), "sequence", "text", "words") for _ in range(2))
        ours.combine_with_features(Features(parts[1], "sequence", "text", "chars"))
        feature_join._rasas_combine_sparse_features(rasas, Features(parts[1], "sequence", "text", "chars"))
        assert ours.features.format == rasas.features.format == "coo"
        assert ours.features.shape == rasas.features.shape and ours.features.dtype == rasas.features.dtype
        for name in ("row", "col", "data"):
            theirs = getattr(rasas.features, name)
            assert np.array_equal(getattr(ours.features, name), theirs)
            assert getattr(ours.features, name).dtype == theirs.dtype
    short = Features(scipy.sparse.random(2, 5, format="coo"), "sequence", "text", "words")
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        short.combine_with_features(Features(scipy.sparse.random(3, 5, format="coo"), "sequence", "text", "chars"))
    assert short.features.shape == (2, 5)
    csr = Features(scipy.sparse.random(2, 5, format="csr"), "sequence", "text", "words")
    csr.combine_with_features(Features(scipy.sparse.random(2, 4, format="coo"), "sequence", "text", "chars"))
    assert csr.features.shape == (2, 9)  # not two COO matrices: joined by scipy, as Rasa does


def test_a_messages_features_are_combined_as_rasa_combines_them(monkeypatch):
    from bot.speedups import feature_join, message_features

    assert Message._combine_features is message_features._combine_features  # installed by the fixture
    rng = np.random.RandomState(11)
    message = Message(data={"text": "five words in this message"})
    for origin, width in (("lexical", 18), ("words", 2000), ("chars", 12000), ("regex", 3)):
        for kind, rows in (("sequence", 5), ("sentence", 1)):
            matrix = scipy.sparse.random(rows, width, density=0.3, format="coo", dtype=np.float32, random_state=rng)
            message.add_features(Features(matrix, kind, "text", origin))
    message.add_features(Features(np.ones((1, 4)), "sentence", "text", "dense"))
    asked = [["words", "chars", "lexical"], [], ["regex"]]
    ours = [message.get_sparse_features("text", featurizers) for featurizers in asked]
    monkeypatch.setattr(Message, "_combine_features", staticmethod(message_features._rasas_combine_features))
    monkeypatch.setattr(Features, "_combine_sparse_features", feature_join._rasas_combine_sparse_features)
    rasas = [message.get_sparse_features("text", featurizers) for featurizers in asked]
    for mine, theirs in zip((f for pair in ours for f in pair), (f for pair in rasas for f in pair)):
        assert (mine.type, mine.attribute, mine.origin) == (theirs.type, theirs.attribute, theirs.origin)
        assert mine.features.format == theirs.features.format == "coo"
        assert mine.features.shape == theirs.features.shape and mine.features.dtype == theirs.features.dtype
        for name in ("row", "col", "data"):
            assert np.array_equal(getattr(mine.features, name), getattr(theirs.features, name))
            assert getattr(mine.features, name).dtype == getattr(theirs.features, name).dtype
    assert ours[0][0].features.shape == (5, 18 + 2000 + 12000)  # all three featurizers' columns
    monkeypatch.undo()
    assert message.get_dense_features("text")[1].features.shape == (1, 4)  # dense features as before
    odd = Message(data={"text": "x"})
    odd.add_features(Features(scipy.sparse.random(2, 5, format="coo"), "sequence", "text", "a"))
    odd.add_features(Features(scipy.sparse.random(3, 5, format="coo"), "sequence", "text", "b"))
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        odd.get_sparse_features("text")


def test_spacy_nlp_gives_rasas_tokens_and_lemmas_without_running_the_entity_ruler():
    from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
    from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

    from bot.nlu.pipeline import build
    from bot.speedups import spacy_doc

    assert SpacyNLP._doc_for_text is spacy_doc._doc_for_text
    model = SpacyModel(model=build(), model_name="ours")
    spacy_nlp = SpacyNLP(model, SpacyNLP.get_default_config())
    extractor = SpacyEntityExtractor({**SpacyEntityExtractor.get_default_config(), "dimensions": None})
    texts = ["My Year 9 teacher said I can't send Nudes on Snapchat", "i am 12 and my mum's boyfriend Forced me", "?!"]
    assert model.model(texts[0].lower()).ents  # the whole pipeline finds entities in it
    for text in texts:
        message = Message(data={"text": text})
        spacy_nlp.process([message], model)
        ours = message.get("text_spacy_doc")
        rasas = model.model(text.lower())  # Rasa's doc: the whole pipeline on the lower-cased text
        assert [(t.text, t.idx, t.lemma_, t.norm_, t.is_stop) for t in ours] == [
            (t.text, t.idx, t.lemma_, t.norm_, t.is_stop) for t in rasas
        ]
        assert not ours.ents
        extractor.process([message], model)
        expected = [(e.label_, e.text) for e in model.model(text).ents]
        assert [(e["entity"], e["value"]) for e in message.get("entities", [])] == expected


@pytest.mark.parametrize(
    "settings",
    [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4, "max_features": 300}, {"use_lemma": False}],
)
def test_count_features_are_the_matrices_rasa_makes(tmp_path, settings):
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    from bot.speedups import count_vectors

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    taught = [
        "what is consent",
        "someone keeps asking me for nudes",
        "is it illegal to send a nude if I am 15",
        "who can I talk to at school about it",
        "my boyfriend shared my picture with his mates",
    ]
    featurizer, storage, _ = _classifier(
        CountVectorsFeaturizer, tmp_path, "counts", **{**CountVectorsFeaturizer.get_default_config(), **settings}
    )
    asked = taught + ["WHAT is consent consent consent?", "nudes nudes 😢 zzzqx", "ok", "café à l'école"]
    messages = [Message(data={"text": t}) for t in asked]
    tokenizer.process(messages)
    for retaught in (taught, taught[2:] + ["a new word: sexting"]):  # trained again: a new vocabulary
        training = TrainingData(training_examples=[Message(data={"text": t, "intent": "x"}) for t in retaught])
        tokenizer.process_training_data(training)
        featurizer.train(training)
        for message in messages:
            tokens = [featurizer._get_processed_message_tokens_by_attribute(message, "text")]
            ours, rasas = (
                count_vectors._create_count_features(featurizer, "text", tokens),
                count_vectors._rasas_create_count_features(featurizer, "text", tokens),
            )
            for mine, theirs in zip(ours[0] + ours[1], rasas[0] + rasas[1]):
                assert mine.shape == theirs.shape and mine.format == theirs.format == "coo"
                for name in ("row", "col", "data"):
                    assert getattr(mine, name).dtype == getattr(theirs, name).dtype
                    assert np.array_equal(getattr(mine, name), getattr(theirs, name))
    assert CountVectorsFeaturizer._create_features is count_vectors._create_count_features
