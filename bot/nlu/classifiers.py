"""Rasa's two intent classifiers, with the same results, quicker to load and to run.

- SentenceLogisticRegression: Rasa's LogisticRegressionClassifier. Rasa's builds each message's row by
  combining the sequence features too (one row per token), only to keep the sentence row; this reads the
  sentence features alone. scikit-learn multiplies the row by the transposed weights, which it copies (about
  6 MB here) on every message unless they are stored column-major, so they are. And the weights are kept as
  plain arrays (numpy's .npz, no pickle) rather than through skops, whose import alone took 8 s of a
  server's start (it lists every public type of numpy, scipy and scikit-learn).
- QuickLoadingDIET: Rasa's DIETClassifier. To load, Rasa builds the network with one traced training step,
  about 10 s of a server's start; one eager step builds the same weights, which are then loaded as before.
  Its prediction is traced without autograph (about 3 s less), since it branches on settings, not tensors.
  To predict, Rasa calls its traced function through tf.function, whose argument checks cost four times the
  network itself (5.6 against 1.4 ms a message); once traced, the function is called directly. And Rasa
  makes a served message's batch through its training-data path (copies of every feature, padding, a data
  generator: about 1 ms); the same arrays are made here from the message's two sparse feature matrices.

tests/unit/test_per_message_costs.py checks both against Rasa's own classes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf
from keras.utils import tf_utils
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import FEATURIZERS, MASK, RUN_EAGERLY, SENTENCE, SEQUENCE, SEQUENCE_LENGTH
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from scipy.sparse import csr_matrix, hstack, vstack

from bot.nlu.sparse import side_by_side

WEIGHTS = "weights.npz"


def _joined_row(parts: List[Any]) -> csr_matrix:
    """One-row matrices side by side, as `vstack([hstack(parts, format="csr")], format="csr")` makes them."""
    return side_by_side([part.tocoo() for part in parts]).tocsr()  # tocsr: sorted columns, duplicates summed


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SentenceLogisticRegression(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier: same features, same predictions, a quarter of the cost a message."""

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            parts = [f.features if f.is_sparse() else csr_matrix(f.features) for f in sentence]
            if len(messages) == 1 and parts:
                return _joined_row(parts)  # a served message: scipy's hstack and vstack took 0.8 ms
            rows.append(hstack(parts, format="csr") if parts else csr_matrix((1, 0)))
        return vstack(rows, format="csr")

    def train(self, training_data: Any) -> Resource:
        resource = super().train(training_data)
        self._column_major_weights()
        return resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            classes = np.asarray(self.clf.classes_, dtype=str)
            np.savez(model_dir / WEIGHTS, coef=self.clf.coef_, intercept=self.clf.intercept_, classes=classes)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceLogisticRegression:
        """The trained weights; an untrained classifier when there are none (Rasa's behaviour)."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir, np.load(model_dir / WEIGHTS) as weights:
                component.clf.coef_ = weights["coef"]
                component.clf.intercept_ = weights["intercept"]
                component.clf.classes_ = weights["classes"]
        except (ValueError, FileNotFoundError):
            return component
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        component._column_major_weights()
        return component

    def _column_major_weights(self) -> None:
        if hasattr(self.clf, "coef_"):
            self.clf.coef_ = np.asfortranarray(self.clf.coef_)


class _EagerlyBuiltDIET(DIET):
    """DIET's network, built for loading by one eager training step instead of a traced one."""

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> DIET:
        if finetune_mode:
            return super().load(model_file_name, model_data_example, predict_data_example, True, *args, **kwargs)
        model = cls(*args, **kwargs)
        # Keras makes a network's weights on its first batch, whichever way that batch runs.
        model.compile(optimizer=tf.keras.optimizers.Adam(), run_eagerly=True)
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.load_weights(model_file_name)
        model.run_eagerly = bool(kwargs.get("config", {}).get(RUN_EAGERLY))
        if predict_data_example:
            model.run_inference(predict_data_example)  # traces prediction now, not on the first message
        return model

    def run_inference(
        self, model_data: RasaModelData, batch_size: Any = 1, output_keys_expected: Optional[List[str]] = None
    ) -> Dict[str, Any]:
        """Rasa's loop over batches; a served message is one batch, which goes straight to the prediction."""
        if batch_size != 1 or model_data.number_of_examples() != 1:
            return super().run_inference(model_data, batch_size, output_keys_expected)
        batch_in = RasaBatchDataGenerator(model_data, batch_size=1, epochs=1, shuffle=False)[0][0]
        outputs = self._rasa_predict(batch_in)
        if output_keys_expected:
            outputs = {key: output for key, output in outputs.items() if key in output_keys_expected}
        return outputs

    def _rasa_predict(self, batch_in: Tuple[np.ndarray, ...]) -> Dict[str, Any]:
        """Rasa's prediction step; once traced, its one concrete function is called with the batch's tensors."""
        if self._run_eagerly:
            return super()._rasa_predict(batch_in)
        if self._tf_predict_step is None:
            # Traced as Rasa does, without autograph: DIET's prediction branches only on its settings, never on
            # a tensor, so converting its source to graph code (about 3 s of loading) changes nothing.
            self._tf_predict_step = tf.function(
                self.predict_step, input_signature=self._dynamic_signature(batch_in), autograph=False
            )
            return super()._rasa_predict(batch_in)
        traced = getattr(self, "_traced_predict", None)
        if traced is None:
            traced = self._traced_predict = self._tf_predict_step.get_concrete_function()
            self._traced_specs = tf.nest.flatten(traced.structured_input_signature)
        arrays = tf.nest.flatten(batch_in)
        if len(arrays) != len(self._traced_specs):
            raise ValueError(f"DIET batch of {len(arrays)} arrays, traced for {len(self._traced_specs)}")
        tensors = [tf.constant(array, spec.dtype) for array, spec in zip(arrays, self._traced_specs)]
        outputs = tf_utils.sync_to_numpy_or_python_type(traced._call_flat(tensors, traced.captured_inputs))
        if DIAGNOSTIC_DATA in outputs:
            outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
        return outputs


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class QuickLoadingDIET(DIETClassifier):
    """Rasa's DIETClassifier: the same network and weights, loaded in about 10 s less and quicker to run."""

    @staticmethod
    def model_class() -> type:
        return _EagerlyBuiltDIET

    def _predict(self, message: Message) -> Optional[Dict[str, Any]]:
        """Rasa's prediction for one message, from a batch made straight from its features when it can be."""
        batch = self._one_message_batch(message) if isinstance(self.model, _EagerlyBuiltDIET) else None
        if batch is None:
            return super()._predict(message)
        return self.model._rasa_predict(batch)  # what Rasa's run_inference returns for a batch of one

    def _one_message_batch(self, message: Message) -> Optional[List[np.ndarray]]:
        """The batch Rasa's data generator makes for a message with sparse text features only, else None.

        Its arrays, in the model's order: the text mask (1), the sentence matrix and the sequence matrix (each as
        indices [example, row, column], values and shape), and the sequence length (the number of tokens).
        """
        if not _sparse_text_only(self.model.predict_data_signature):
            return None
        featurizers = self.component_config[FEATURIZERS]
        if message.get_dense_features(TEXT, featurizers) != (None, None):
            return None
        sequence, sentence = message.get_sparse_features(TEXT, featurizers)
        if sequence is None or sentence is None:
            return None
        sequence, sentence = sequence.features.tocoo(), sentence.features.tocoo()
        n_tokens = np.array([sequence.shape[0]], dtype=np.float32)
        return [np.ones((1, 1, 1), dtype=np.float32), *_as_values(sentence), *_as_values(sequence), n_tokens]


def _sparse_text_only(signature: Any) -> bool:
    """Whether a DIET's inputs are the text's mask, one sparse sentence and sequence matrix, and its length."""
    text = signature.get(TEXT) if set(signature) == {TEXT} else None
    if not text or set(text) != {MASK, SENTENCE, SEQUENCE, SEQUENCE_LENGTH} or any(len(text[k]) != 1 for k in text):
        return False
    sparse = {key: text[key][0].is_sparse and text[key][0].number_of_dimensions == 3 for key in text}
    return sparse == {MASK: False, SENTENCE: True, SEQUENCE: True, SEQUENCE_LENGTH: False}


def _as_values(matrix: Any) -> List[np.ndarray]:
    """A one-example batch of a COO matrix as Rasa's data generator gives it: indices, values and shape."""
    indices = np.zeros((matrix.nnz, 3), dtype=np.int64)
    indices[:, 1] = matrix.row
    indices[:, 2] = matrix.col
    shape = np.array((1, matrix.shape[0], matrix.shape[1]), dtype=np.int64)
    return [indices, matrix.data.astype(np.float32), shape]
