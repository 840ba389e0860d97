"""The interface every recdemo model shares.

A model encodes a *query* (a user id, or an item history) into the space of its item embedding
table; recommending is scoring the query against every item, masking, and taking the top k.
Training examples are built by the model itself because only it knows its input layout.
"""

from __future__ import annotations

import keras
import numpy as np

from recdemo.distributed import host_copy
from recdemo.models import objectives, padding, sequences
from recdemo.models.objectives import CatalogueSoftmax, split_inputs
from recdemo.models.sampled_softmax import SAMPLERS, SampledSoftmax
from recdemo.split import LeaveOneOutSplit
from recdemo.validation import check_choice, check_int, check_rate


class RetrievalModel(keras.Model):
    """Base class: a Keras model with a query encoder and an item embedding table.

    Subclasses implement `query_embeddings`, `item_embeddings`, `training_examples` and
    `validation_examples`. By default a query is a right-padded history of `max_len` items; a
    model whose queries are something else (user ids) overrides `sizes_from`, `query_shape` and
    `encode_queries`, and says whether it must be refitted on the validation items
    (`refits_on_validation`).

    What the rest of recdemo shows about a model lives on its class, as literals (the registry
    reads them without importing Keras, `recdemo.models.card`): `DISPLAY_NAME`, a one-sentence
    `DESCRIPTION` that follows the name, and `PRESETS` (`{"full" | "quick": {"model": ...,
    "train": ...}}`). `LOSSES` maps the `loss` names a model accepts to objectives.

    Args:
        num_items: size of the item id space (largest movie id + 1; id 0 is padding).
        embedding_dim: width of the shared query/item space.
        num_negatives: negatives per training step of the sampled softmax (`--loss sampled`).
        sampler: where the sampled softmax draws negatives: `"uniform"` over items or in
            proportion to `"popularity"` (logQ-corrected either way).
        loss: the training objective, one of `LOSSES`.
        dropout: the model's dropout rate (where it applies is the subclass's choice).
    """

    max_len = 0
    CHOICES = {"sampler": SAMPLERS}
    # `loss` names (stored in artifacts' configs) -> objectives; `"ce"` still reads as softmax.
    LOSSES = {"softmax": CatalogueSoftmax, "sampled": SampledSoftmax}
    # A model that reads histories sees the validation item as input at test time; a user-id
    # model can only use it by training on it (see `recdemo.training`).
    refits_on_validation = False

    def __init__(self, num_items: int, embedding_dim: int = 64, num_negatives: int = 100,
                 sampler: str = "uniform", loss: str = "softmax", dropout: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        check_int("num_items", num_items, low=2)
        check_int("embedding_dim", embedding_dim, low=2)
        check_int("num_negatives", num_negatives)
        check_choice("sampler", sampler, SAMPLERS)
        check_rate("dropout", dropout)
        self.dropout = dropout
        loss = objectives.canonical(loss)
        check_choice("loss", loss, self.LOSSES)
        self.num_items = num_items
        self.embedding_dim = embedding_dim
        self.num_negatives = num_negatives
        self.sampler = sampler
        self.loss_type = loss
        self.objective = self.LOSSES[loss].for_model(self)

    @classmethod
    def built_for_weights(cls, config: dict) -> RetrievalModel:
        """A model from `config` with every variable created but, where Keras allows, not
        initialised: `load_weights` overwrites them right after, and tracing each random
        initializer made up most of the time to load a model. Keras' own deferred
        initialisation does it (variables created inside a `StatelessScope` wait for a
        value). Under a distribution variables need their layouts: they are initialised as
        usual. Call `initialise_unloaded` after `load_weights`."""
        if keras.distribution.distribution() is not None:
            model = cls.from_config(config)
            model.build_variables()
            return model
        with keras.StatelessScope(initialize_variables=False):
            model = cls.from_config(config)
            model.build_variables()
        return model

    def initialise_unloaded(self) -> None:
        """Initialise what the weights file did not hold (as Keras would have), and take this
        model's variables off Keras' list of deferred ones, which the next `StatelessScope` to
        close would otherwise try to initialise again."""
        from keras.src.backend.common import global_state

        ours = {id(variable) for variable in self.variables}
        pending = global_state.get_global_attribute("uninitialized_variables") or []
        for variable in pending:
            if id(variable) in ours and variable._value is None:
                variable._deferred_initialize()
        global_state.set_global_attribute("uninitialized_variables",
                                          [v for v in pending if id(v) not in ours])

    @classmethod
    def sizes_from(cls, dataset) -> dict:
        """The constructor arguments a dataset decides (its id spaces)."""
        return {"num_items": dataset.num_items}

    @property
    def query_shape(self) -> tuple[int, ...]:
        """Shape of one query input without the batch axis (a padded history by default)."""
        return (self.max_len,)

    def build_variables(self) -> None:
        """Create every variable with one symbolic pass of the query path.

        No real computation runs (faster than an eager call, which matters for cold start). The
        item tables are built with the query path, so afterwards the model can save and load
        weights without a training-shaped call.
        """
        self.query_embeddings(keras.KerasTensor((1, *self.query_shape), dtype="int32"))
        self.built = True

    def query_window(self, history: np.ndarray, without: int | None = None) -> np.ndarray:
        """The part of a history that its query reads (all of it here), after removing every
        watch of the movie `without` when given."""
        return history if without is None else history[history != without]

    def encode_queries(self, run_query, user_ids: list, histories: list[np.ndarray],
                       item_table: np.ndarray) -> np.ndarray:
        """`(batch, embedding_dim)` query vectors for validated serving inputs.

        Args:
            run_query: runs the compiled `query_embeddings` on a NumPy batch of query inputs.
            user_ids: per row a known user id, or None (a history that is not a user).
            histories: per row the input history, oldest first.
            item_table: the frozen item table (for models that fit queries to it).
        """
        # Rows of similar lengths together, cut to their bucket: a short history does not
        # pay for `max_len` positions (right padding: the outputs do not change).
        lengths = np.minimum([len(h) for h in histories], self.max_len)
        out, shorter = None, -1
        for length in padding.bucket_lengths(self.max_len):
            rows = np.flatnonzero((lengths <= length) & (lengths > shorter))
            shorter = length
            if rows.size:
                vectors = np.asarray(run_query(
                    padding.pad_right([histories[i] for i in rows], length)))
                if out is None:
                    out = np.empty((len(histories), vectors.shape[-1]), vectors.dtype)
                out[rows] = vectors
        return out

    def query_embeddings(self, inputs, training: bool = False):
        """`(batch, embedding_dim)` query vectors for user ids or padded histories."""
        raise NotImplementedError

    def item_embeddings(self):
        """The `(num_items, embedding_dim)` item table the queries are scored against."""
        raise NotImplementedError

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """`(x, y, sample_weight)` NumPy arrays for one epoch of `fit` on the train part."""
        raise NotImplementedError

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """`(x, y, sample_weight)` whose loss is the validation loss (train -> valid target)."""
        raise NotImplementedError

    def training_outputs(self, query_inputs, training: bool = False):
        """What the objective scores: the query path's outputs before any last-position gather
        (`(batch, dim)` for user ids, `(batch, length, dim)` for sequences)."""
        raise NotImplementedError

    def call(self, inputs, training: bool = False):
        """The objective's predictions for a batch of training inputs."""
        query, extra = split_inputs(inputs)
        return self.objective.predictions(self.training_outputs(query, training=training),
                                          self.item_embeddings(), extra)

    def get_weights(self) -> list[np.ndarray]:
        """Every variable as a NumPy array, also when data-parallel training spans processes
        (Keras' own reads every shard, which one process cannot): what `EarlyStopping` keeps
        as the best epoch's weights."""
        return [host_copy(variable) for variable in self.weights]

    def compile_for_training(self, learning_rate, weight_decay: float = 0.0) -> None:
        """Compile with this model's objective's loss and Adam (AdamW if `weight_decay` > 0);
        `learning_rate` is a float or a Keras schedule."""
        optimizer = (keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
                     if weight_decay > 0 else keras.optimizers.Adam(learning_rate))
        self.compile(optimizer=optimizer, loss=self.objective.loss())

    def get_config(self) -> dict:
        """Hyperparameters only (the shared ones; subclasses add theirs)."""
        return {"num_items": self.num_items, "embedding_dim": self.embedding_dim,
                "num_negatives": self.num_negatives, "sampler": self.sampler,
                "loss": self.loss_type, "dropout": self.dropout}


class SequenceModel(RetrievalModel):
    """A model whose query is a right-padded history (GRU4Rec, SASRec).

    A subclass implements `sequence_outputs` (one output per position, position t seeing items
    0..t only) and names its item table `item_embedding`. Training scores every position's
    next item; the query is the output at the last real item.

    Args:
        max_len: most recent items kept per history.
        dropout: the model's dropout rate.
    """

    def __init__(self, num_items: int, embedding_dim: int = 64, max_len: int = 200,
                 dropout: float = 0.2, **kwargs):
        super().__init__(num_items, embedding_dim, dropout=dropout, **kwargs)
        check_int("max_len", max_len)
        self.max_len = max_len

    def query_window(self, history: np.ndarray, without: int | None = None) -> np.ndarray:
        """The most recent `max_len` items (all that a query reads: `padding.pad_right`),
        after removing every watch of the movie `without` when given."""
        if without is None:
            return history[-self.max_len:]
        # Only the last max_len + (its watches) items can be left in the window without it.
        tail = history[-(self.max_len + int(np.count_nonzero(history == without))):]
        return tail[tail != without][-self.max_len:]

    def sequence_outputs(self, items, training: bool = False):
        """`(batch, length, embedding_dim)` outputs; position t sees items 0..t only."""
        raise NotImplementedError

    def training_outputs(self, items, training: bool = False):
        """The output at every position (the objective scores each position's next item)."""
        return self.sequence_outputs(items, training=training)

    def query_embeddings(self, items, training: bool = False):
        """The output at each row's most recent item."""
        return sequences.gather_last(self.sequence_outputs(items, training=training), items)

    def item_embeddings(self):
        """The item embedding table."""
        return self.item_embedding.embeddings

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Every (prefix, next item) pair of every train sequence; an objective that samples
        negatives (BCE) draws fresh ones each call, never from the row's own items."""
        train = list(split.train.values())
        x, y, weights, owners = sequences.next_item_examples(train, self.max_len)
        return self.objective.examples(x, y, weights, owner_items=[train[o] for o in owners],
                                       rng=rng)

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Train sequence -> validation target, at the last position."""
        _, histories, targets = split.cases("valid")
        x, y, weights = sequences.last_item_examples(histories, targets, self.max_len)
        owner_items = [np.append(h, t) for h, t in zip(histories, targets)]
        return self.objective.examples(x, y, weights, owner_items=owner_items, rng=rng)

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "max_len": self.max_len}

