"""Pretrained sentence meaning: the model unpacked and checked by hash, and the featurizer Rasa runs."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import sentence_model
from bot.nlu.sentence_meaning import SentenceEncoder, SentenceMeaningFeaturizer


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """The real model, unpacked from the installed package into a folder of the test's own."""
    return sentence_model.build(tmp_path_factory.mktemp("sentence") / "model")


@pytest.fixture(scope="module")
def encoder(model_dir):
    return SentenceEncoder(model_dir, max_length=128, warm=())


def test_the_unpacked_weights_are_the_published_ones(model_dir):
    assert sentence_model.sha256(model_dir / "model.safetensors") == sentence_model.WEIGHTS_SHA256
    assert {p.name for p in model_dir.iterdir()} == set(sentence_model.NEEDED)


def test_weights_with_another_hash_are_refused_and_nothing_is_left(tmp_path):
    fake = tmp_path / "model.zip"
    with zipfile.ZipFile(fake, "w") as archive:
        for name in sentence_model.NEEDED:
            archive.writestr(name, "{}" if name.endswith(".json") else "not the weights")
    with pytest.raises(ValueError, match="sha256"):
        sentence_model.build(tmp_path / "out", source=fake)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_vectors_are_unit_length_and_meaning_is_closer_than_words(encoder):
    texts = [
        "someone is threatening to share my nudes unless i pay them",
        "a guy online says he will post my pictures if i dont send him money",
        "what is the age of consent in england",
    ]
    vectors = encoder(texts)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, different = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > different + 0.2


def test_a_batch_gives_each_message_the_vector_it_gets_alone(encoder):
    texts = ["hi", "my boyfriend checks my phone every night and gets angry if i dont answer"]
    together = encoder(texts)
    alone = np.vstack([encoder([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)  # padding is masked out of the mean


def test_token_ids_are_padded_to_a_few_compiled_lengths(encoder):
    assert [encoder._padded(n) for n in (1, 8, 9, 17, 100, 128)] == [8, 8, 16, 24, 128, 128]
    assert SentenceEncoder.BUCKETS[-1] == 128


def test_the_warm_lengths_are_compiled_when_the_encoder_loads(model_dir):
    encoder = SentenceEncoder(model_dir, max_length=128, warm=(5, 8, 16))
    assert encoder.warmed == (8, 16)  # each compiled length once
    assert encoder(["a short message"]).shape == (1, 384)
    assert SentenceEncoder(model_dir, max_length=128, warm=()).warmed == ()


def test_the_compiled_function_gives_the_vector_the_plain_model_gives(model_dir, encoder):
    """XLA and the padding change no meaning: the vector is the plain TensorFlow model's mean-pooled one."""
    import tensorflow as tf
    from transformers import TFBertModel

    text = "my ex says he will post the video of me unless i send more"
    batch = encoder.tokenizer([text], return_tensors="np")
    hidden = TFBertModel.from_pretrained(str(model_dir))(**{k: tf.constant(v) for k, v in batch.items()})
    plain = tf.math.l2_normalize(tf.reduce_mean(hidden.last_hidden_state, axis=1), axis=1).numpy()
    assert np.allclose(encoder([text]), plain, atol=1e-5)


def test_the_featurizer_adds_one_dense_sentence_feature_to_messages_with_text(model_dir, encoder):
    config = {**SentenceMeaningFeaturizer.get_default_config(), "model_dir": str(model_dir)}
    featurizer = SentenceMeaningFeaturizer(config, "sentence_meaning", encoder=encoder)
    with_text, without = Message(data={TEXT: "can i tell you something"}), Message(data={"intent": "greet"})
    featurizer.process([with_text, without])
    [feature] = with_text.features
    assert feature.type == "sentence" and feature.attribute == TEXT and not feature.is_sparse()
    assert feature.features.shape == (1, 384) and feature.origin == "sentence_meaning"
    assert not without.features
    data = TrainingData([Message(data={TEXT: f"message {n}", "intent": "greet"}) for n in range(70)])
    featurizer.process_training_data(data)  # more than one batch
    assert all(len(m.features) == 1 for m in data.training_examples)


def test_the_scale_sets_the_vectors_length(model_dir, encoder):
    config = {**SentenceMeaningFeaturizer.get_default_config(), "model_dir": str(model_dir), "scale": 10.0}
    featurizer = SentenceMeaningFeaturizer(config, "sentence_meaning", encoder=encoder)
    message = Message(data={TEXT: "can i tell you something"})
    featurizer.process([message])
    [feature] = message.features
    assert np.isclose(np.linalg.norm(feature.features), 10.0, atol=1e-3)
    with pytest.raises(Exception, match="positive scale"):
        SentenceMeaningFeaturizer.validate_config({**config, "scale": 0})


def test_a_missing_model_says_how_to_make_it(tmp_path):
    with pytest.raises(Exception, match="make train"):
        SentenceEncoder(tmp_path, max_length=128)
