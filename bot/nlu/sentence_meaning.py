"""Pretrained sentence meaning for the NLU: a dense featurizer from a published sentence-embedding model.

Word and character counts learn only the phrasings in the training data. This graph component adds, for each
message, all-MiniLM-L6-v2's sentence vector (mean of its token vectors over the attention mask, as the model
was trained to be read, normalised to length 1), as a dense sentence feature that both intent classifiers
read. It reads the text with text-speak in standard English (bot/nlu/textspeak.py). The weights are unpacked
and checked at build time by bot.nlu.sentence_model; nothing is downloaded.

The model runs in TensorFlow through transformers' TFBertModel (no torch), called through one XLA-compiled
function, so a served message costs one compiled call (docs/performance.md has the figure).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import textspeak

logger = logging.getLogger(__name__)
TRAINING_BATCH = 64
SPACY_DOC = "text_spacy_doc"


def _text_of(message: Message) -> str:
    """The message's text with its text-speak in standard English, when SpacyNLP parsed it (textspeak.yml)."""
    doc = message.get(SPACY_DOC)
    return textspeak.normalised_text(doc) if doc is not None else message.get(TEXT)


class SentenceEncoder:
    """all-MiniLM-L6-v2 as a function from texts to unit sentence vectors (n, 384).

    The model runs as one XLA-compiled function (TensorFlow's `jit_compile`), about a quarter quicker a message
    than the plain traced graph on this machine (docs/performance.md). XLA compiles once per input shape, so the
    token ids are padded up to the next of a few lengths (`BUCKETS`); the attention mask keeps the padding out of
    the vector. The `WARM` lengths, which hold almost every chat message, are compiled when the encoder loads (about
    6 s of the server's start); a longer message's length is compiled the first time one comes (about 1 s, once).
    """

    BUCKETS = (8, 16, 24, 32, 48, 64, 96, 128)
    WARM = (8, 16, 24, 32)

    def __init__(self, model_dir: Path, max_length: int, warm: Tuple[int, ...] = WARM) -> None:
        import tensorflow as tf
        from transformers import BertTokenizerFast, TFBertModel

        if not (model_dir / "model.safetensors").exists():
            raise RasaException(f"no sentence model in {model_dir}: run `make train`, which unpacks it")
        self.max_length = max_length
        self.lengths = tuple(b for b in self.BUCKETS if b < max_length) + (max_length,)
        self.tokenizer = BertTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"))
        model = TFBertModel.from_pretrained(str(model_dir))
        ids = tf.TensorSpec([None, None], tf.int32)

        @tf.function(input_signature=[ids, ids, ids], jit_compile=True)
        def pooled(input_ids, attention_mask, token_type_ids):
            hidden = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            mask = tf.cast(attention_mask, hidden.last_hidden_state.dtype)[..., None]
            mean = tf.reduce_sum(hidden.last_hidden_state * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, 1), 1.0)
            return tf.math.l2_normalize(mean, axis=1)

        self._pooled = pooled
        self.warmed = tuple(sorted({self._padded(length) for length in warm}))
        for length in self.warmed:
            self._pooled(*[np.zeros((1, length), np.int32)] * 3)

    def _padded(self, length: int) -> int:
        """The compiled length a message of `length` tokens is padded to."""
        return next((b for b in self.lengths if b >= length), self.max_length)

    def __call__(self, texts: List[str]) -> np.ndarray:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
        width = batch["input_ids"].shape[1]
        pad = ((0, 0), (0, self._padded(width) - width))
        parts = (np.pad(batch[k].astype(np.int32), pad) for k in ("input_ids", "attention_mask", "token_type_ids"))
        return self._pooled(*parts).numpy()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceMeaningFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's sentence vector as a dense sentence feature of its text.

    `scale` multiplies the unit vector. Beside thousands of word and character counts, a vector of length 1
    spread over 384 numbers is almost silenced by logistic regression's L2 penalty; at length 10 the classifier
    can lean on it (docs/development.md has the cross-validation and development-set figures per scale).
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": "build/sentence_model",
            "max_length": 128,
            "scale": 1.0,
        }

    def __init__(self, config: Dict[str, Any], name: str, encoder: Optional[SentenceEncoder] = None) -> None:
        super().__init__(name, config)
        self.encoder = encoder or SentenceEncoder(Path(config["model_dir"]), int(config["max_length"]))
        textspeak.english_words()  # read numbers for letters with a word list loaded at start, not on a message

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceMeaningFeaturizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """The settings this featurizer reads: a model directory, a positive token limit and a positive scale."""
        if not str(config.get("model_dir") or "") or int(config.get("max_length") or 0) <= 0:
            raise RasaException(f"{cls.__name__} needs model_dir and a positive max_length")
        if float(config.get("scale", 1.0)) <= 0:
            raise RasaException(f"{cls.__name__} needs a positive scale")

    @staticmethod
    def required_packages() -> List[str]:
        return ["transformers", "tensorflow"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Every training example with text, in batches."""
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        for start in range(0, len(examples), TRAINING_BATCH):
            batch = examples[start : start + TRAINING_BATCH]
            self._add(batch, self.encoder([_text_of(m) for m in batch]))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Served messages: the ones with text get their vector."""
        with_text = [m for m in messages if m.get(TEXT)]
        if with_text:
            self._add(with_text, self.encoder([_text_of(m) for m in with_text]))
        return messages

    def _add(self, messages: List[Message], vectors: np.ndarray) -> None:
        vectors = vectors * float(self._config.get("scale", 1.0))
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(None, vector[None, :], TEXT, message)
