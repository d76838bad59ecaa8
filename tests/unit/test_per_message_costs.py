"""Our two classifiers, Rasa components quicker to load and to run, must give Rasa's own results (bench/ measures).

The speed-ups that replace Rasa's internals are checked in test_speedups_results.py."""

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

from bot.nlu.classifiers import QuickLoadingDIET, SentenceLogisticRegression


def _message(text, intent, rng):
    """A message with two featurizers' sequence and sentence features, as Rasa's pipeline leaves them."""
    message = Message(data={"text": text, "intent": intent})
    tokens = len(text.split())
    for origin, width in (("words", 40), ("chars", 90)):
        sequence = scipy.sparse.random(tokens, width, density=0.2, format="coo", random_state=rng)
        sentence = scipy.sparse.random(1, width, density=0.3, format="coo", random_state=rng)
        message.add_features(Features(sequence, "sequence", "text", origin))
        message.add_features(Features(sentence, "sentence", "text", origin))
    return message


@pytest.fixture
def messages():
    rng = np.random.RandomState(7)
    texts = ["what is consent", "are nudes illegal for under 18s", "hi", "who can i talk to at school"] * 10
    return [_message(text, f"intent_{i % 4}", rng) for i, text in enumerate(texts)]


def _classifier(cls, tmp_path, name, **settings):
    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    context = ExecutionContext(GraphSchema({}), node_name=name)
    config = {**cls.get_default_config(), **(settings or {"max_iter": 500, "random_state": 42})}
    return cls.create(config, storage, Resource(name), context), storage, context


def test_the_row_is_rasas_sentence_row(messages, tmp_path):
    ours, _, _ = _classifier(SentenceLogisticRegression, tmp_path, "ours")
    rasas, _, _ = _classifier(LogisticRegressionClassifier, tmp_path, "rasas")
    assert (ours._create_X(messages) != rasas._create_X(messages)).nnz == 0
    assert ours._create_X(messages).shape == (len(messages), 130)


@pytest.fixture
def trained_pair(messages, tmp_path):
    """Our logistic regression and Rasa's, trained on the same messages; ours with its storage and context."""
    data = TrainingData(training_examples=messages)
    ours, storage, context = _classifier(SentenceLogisticRegression, tmp_path, "ours")
    rasas, _, _ = _classifier(LogisticRegressionClassifier, tmp_path, "rasas")
    ours.train(data)
    rasas.train(data)
    return ours, rasas, storage, context


def test_trained_and_loaded_the_predictions_are_rasas(messages, trained_pair):
    ours, rasas, storage, context = trained_pair
    loaded = SentenceLogisticRegression.load(ours.config, storage, Resource("ours"), context)
    assert loaded.clf.coef_.flags.f_contiguous  # so the transposed weights are read in place, not copied
    assert loaded.clf.coef_.T.ravel().base is not None
    expected = rasas.clf.predict_proba(rasas._create_X(messages))
    assert np.array_equal(loaded.clf.predict_proba(loaded._create_X(messages)), expected)
    scored = loaded.process(messages[:4])
    assert [m.get("intent")["name"] for m in scored] == [rasas.clf.classes_[i] for i in expected[:4].argmax(axis=1)]


def test_a_served_message_gets_the_row_and_prediction_rasa_gives_it(messages, trained_pair):
    ours, rasas, _, _ = trained_pair
    for message in messages:
        row, stacked = ours._create_X([message]), rasas._create_X([message])
        assert (row.dtype, row.indices.dtype, row.shape) == (stacked.dtype, stacked.indices.dtype, stacked.shape)
        assert row.has_canonical_format and stacked.has_canonical_format
        assert np.array_equal(row.indices, stacked.indices) and np.array_equal(row.data, stacked.data)
        [scored] = ours.process([Message(data={"text": message.get("text")}, features=list(message.features))])
        assert scored.get("intent_ranking") == rasas.process([message])[0].get("intent_ranking")


def test_diet_loaded_quickly_predicts_as_rasas_load_does(messages, tmp_path):
    settings = {"epochs": 2, "entity_recognition": False, "random_seed": 42, "number_of_transformer_layers": 1}
    trained, storage, context = _classifier(QuickLoadingDIET, tmp_path, "diet", **settings)
    trained.train(TrainingData(training_examples=messages))
    quick = QuickLoadingDIET.load(trained.component_config, storage, Resource("diet"), context)
    # the same files loaded Rasa's way: its own network class, built with a traced training step
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QuickLoadingDIET, "model_class", staticmethod(DIETClassifier.model_class))
        slow = QuickLoadingDIET.load(trained.component_config, storage, Resource("diet"), context)
    assert type(quick.model).__name__ == "_EagerlyBuiltDIET" and type(slow.model).__name__ == "DIET"
    assert not quick.model.run_eagerly  # predictions run as a traced function, as Rasa's do
    assert quick.model._tf_predict_step._autograph is False  # traced without autograph; Rasa's with it
    assert slow.model._tf_predict_step._autograph is True
    fresh = [Message(data={"text": m.get("text")}, features=list(m.features)) for m in messages[:8]]
    again = [Message(data={"text": m.get("text")}, features=list(m.features)) for m in messages[:8]]
    for ours, theirs in zip(quick.process(fresh), slow.process(again)):
        assert ours.get("intent_ranking") == theirs.get("intent_ranking")


class _NotThroughTfFunction:
    """Stands in for the traced tf.function: hands out its concrete function, fails if called."""

    def __init__(self, function):
        self.function = function

    def get_concrete_function(self):
        return self.function.get_concrete_function()

    def __call__(self, *args):
        raise AssertionError("prediction went through tf.function's argument handling")


def test_diet_predicts_through_its_traced_function_directly_with_rasas_results(messages, tmp_path):
    settings = {"epochs": 2, "entity_recognition": False, "random_seed": 42, "number_of_transformer_layers": 1}
    trained, storage, context = _classifier(QuickLoadingDIET, tmp_path, "diet", **settings)
    trained.train(TrainingData(training_examples=messages))
    quick = QuickLoadingDIET.load(trained.component_config, storage, Resource("diet"), context)
    texts = ["what is consent", "hi", "are nudes illegal for under 18s and who do i tell at school"]
    expected = [DIETClassifier.process(trained, [_message(t, None, np.random.RandomState(3))])[0] for t in texts]
    quick.model.__dict__["_tf_predict_step"] = _NotThroughTfFunction(quick.model._tf_predict_step)
    for text, theirs in zip(texts, expected):
        message = _message(text, None, np.random.RandomState(3))
        rasas_batch = RasaBatchDataGenerator(quick._create_model_data([message], training=False), batch_size=1)
        ours_batch = quick._one_message_batch(message)
        assert [(a.dtype, a.shape) for a in ours_batch] == [(a.dtype, a.shape) for a in rasas_batch[0][0]]
        assert all(np.array_equal(a, b) for a, b in zip(ours_batch, rasas_batch[0][0]))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(QuickLoadingDIET, "_create_model_data", None)  # the batch is not made Rasa's way
            ours = quick.process([message])[0]
        assert ours.get("intent_ranking") == theirs.get("intent_ranking")


def test_diet_takes_rasas_way_for_a_message_without_text_features(messages, tmp_path):
    settings = {"epochs": 1, "entity_recognition": False, "random_seed": 42, "number_of_transformer_layers": 1}
    trained, storage, context = _classifier(QuickLoadingDIET, tmp_path, "diet", **settings)
    trained.train(TrainingData(training_examples=messages))
    quick = QuickLoadingDIET.load(trained.component_config, storage, Resource("diet"), context)
    bare = Message(data={"text": "hello"})
    assert quick._one_message_batch(bare) is None
    assert quick.process([bare])[0].get("intent_ranking") == DIETClassifier.process(trained, [bare])[0].get(
        "intent_ranking"
    )
