"""The sampled softmax and the BCE negatives against NumPy references."""

from __future__ import annotations

import keras
import keras_rs
import numpy as np
import pytest

from recdemo.epochs import per_position
from recdemo.models.objectives import CatalogueSoftmax, sample_negatives
from recdemo.models.sampled_softmax import MASKED_LOGIT, SampledSoftmax


def _fixed(objective: SampledSoftmax, negatives) -> SampledSoftmax:
    objective.sample = lambda rows: np.asarray(negatives, np.int32)
    return objective


def _numpy_softmax_loss(outputs, table, targets, weights):
    logits = outputs @ table.T
    top = logits.max(axis=-1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    return -(picked * weights).sum() / weights.sum()


@pytest.mark.parametrize("shape", [(3, 5), (7,)])  # sequence positions, or one per user
def test_catalogue_softmax_loss_and_gradients_match_a_numpy_reference(shape):
    """The head computes the per-example cross-entropy itself (no one-hot, flat matmul): it
    must give Keras' weighted loss and the same gradients as the textbook formula."""
    import jax

    rng = np.random.default_rng(3)
    table = rng.normal(size=(11, 4)).astype("float32")
    outputs = (3 * rng.normal(size=(*shape, 4))).astype("float32")
    targets = rng.integers(0, 11, size=shape)
    weights = (rng.random(shape) < 0.7).astype("float32")
    weights.flat[0] = 1.0
    objective = CatalogueSoftmax()
    x, labels, w = objective.examples(outputs, targets, weights)
    w = per_position(w, len(w), float(w.sum()))  # as a one-batch epoch weighs it
    loss_fn = objective.loss()

    def loss(o, t):
        return loss_fn(labels, objective.predictions(o, t, {"positives": x["positives"]}), w)

    value, (d_outputs, d_table) = jax.value_and_grad(loss, argnums=(0, 1))(outputs, table)
    expected = _numpy_softmax_loss(outputs.astype(np.float64), table.astype(np.float64),
                                   targets, weights)
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)
    reference = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="mean_with_sample_weight")
    keras_loss = lambda o, t: reference(targets, keras.ops.matmul(o, keras.ops.transpose(t)), w)  # noqa: E731
    k_outputs, k_table = jax.grad(keras_loss, argnums=(0, 1))(outputs, table)
    np.testing.assert_allclose(np.asarray(d_outputs), np.asarray(k_outputs), atol=1e-5)
    np.testing.assert_allclose(np.asarray(d_table), np.asarray(k_table), atol=1e-5)
    # Padding (weight 0) takes no gradient.
    assert np.all(np.asarray(d_outputs)[weights == 0] == 0)


def test_sampled_logits_match_a_numpy_reference_with_logq_and_accidental_hits_masked():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(6, 3)).astype("float32")
    outputs = rng.normal(size=(2, 4, 3)).astype("float32")
    positives = np.array([[1, 2, 5, 0], [3, 3, 4, 1]])
    counts = np.array([0, 1, 2, 3, 4, 10], float)
    objective = SampledSoftmax(6, num_negatives=3, sampler="popularity")
    objective.adapt(counts)
    negatives = np.array([[2, 5, 1], [4, 4, 2]])  # one draw per row
    logits = np.asarray(_fixed(objective, negatives).predictions(
        outputs, table, {"positives": positives}))

    q = counts / counts.sum()
    candidates = np.concatenate([positives[..., None],
                                 np.broadcast_to(negatives[:, None], (2, 4, 3))], axis=-1)
    expected = np.einsum("bld,blcd->blc", outputs, table[candidates])
    expected -= np.log(np.clip(q[candidates], 1e-6, 1.0))
    hit = candidates[..., 1:] == positives[..., None]
    expected[..., 1:][hit] = MASKED_LOGIT
    assert hit.sum() == 5  # row 0: 1, 2, 5 at positions 0-2; row 1: 4 twice at position 2
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    # A user-id model's outputs have no positions axis: the same logits at one position.
    flat = np.asarray(objective.predictions(outputs[:, 2], table, {"positives": positives[:, 2]}))
    np.testing.assert_allclose(flat, expected[:, 2], rtol=1e-5, atol=1e-5)
    # A masked negative takes no probability from its row's target.
    probabilities = np.asarray(keras.ops.softmax(logits[0, 1]))
    assert probabilities[1] == 0.0


@pytest.mark.parametrize("sampler", ["uniform", "popularity"])
def test_ranking_pass_loss_is_the_training_loss_at_one_position(sampler):
    """The validation loss a sampled model gets from ranking scores must be what Keras'
    training loss gives for the same rows and negatives (logQ and accidental hits included)."""
    rng = np.random.default_rng(4)
    table = rng.normal(size=(7, 3)).astype("float32")
    outputs = (2 * rng.normal(size=(5, 3))).astype("float32")
    targets = np.array([1, 6, 3, 3, 2])
    objective = SampledSoftmax(7, num_negatives=4, sampler=sampler)
    objective.adapt(np.array([0, 3, 1, 5, 2, 2, 8]))
    losses = objective.ranking_loss(outputs.astype(np.float64), table.astype(np.float64),
                                    targets, np.random.default_rng(9))

    negatives = objective.draw_negatives(5, np.random.default_rng(9))
    assert (negatives == targets[:, None]).any()  # the example exercises the hit mask
    x, labels, w = objective.examples(outputs, targets, np.ones(5, "float32"))
    logits = _fixed(objective, negatives).predictions(outputs, table, {"positives": targets})
    per_row = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    np.testing.assert_allclose(losses, np.asarray(per_row(labels, logits)), rtol=1e-5)


@pytest.mark.parametrize("sampler, counts", [("uniform", None),
                                             ("popularity", [5, 1, 2, 0, 7])])
def test_sampler_draws_in_proportion_and_never_padding(sampler, counts):
    keras.utils.set_random_seed(1)
    objective = SampledSoftmax(5, num_negatives=10_000, sampler=sampler)
    if counts is not None:
        objective.adapt(np.array(counts))
    draws = np.asarray(objective.sample(4))
    assert draws.shape == (4, 10_000)
    assert len({row.tobytes() for row in draws}) == 4  # every row has its own draw
    draws = draws.ravel()
    frequency = np.bincount(draws, minlength=5) / len(draws)
    expected = (np.array([0, 1, 1, 1, 1]) / 4 if counts is None
                else np.array([0, 1, 2, 0, 7]) / 10)  # padding's count is ignored
    np.testing.assert_allclose(frequency, expected, atol=0.01)
    np.testing.assert_allclose(np.asarray(objective.probabilities(np.arange(5))), expected,
                               rtol=1e-6)


def test_step_memory_does_not_grow_with_the_catalogue():
    outputs = np.ones((2, 7, 4), np.float32)
    positives = np.ones((2, 7), np.int32)
    shapes = []
    for num_items in (50, 200_000):
        objective = SampledSoftmax(num_items, num_negatives=16)
        table = np.ones((num_items, 4), np.float32)
        shapes.append(keras.ops.shape(objective.predictions(outputs, table,
                                                            {"positives": positives})))
    assert shapes == [(2, 7, 17), (2, 7, 17)]


def test_keras_rs_remove_accidental_hits_is_still_a_no_op():
    """Why `SampledSoftmax` masks hits itself: the pinned keras-rs layer leaves them. When an
    upgrade fixes it (keras-team/keras-rs PR #206) this fails: switch to the layer."""
    logits = np.array([[1.0, 2.0, 3.0]], np.float32)
    labels = np.array([[1.0, 0.0, 0.0]], np.float32)
    out = keras_rs.layers.RemoveAccidentalHits()(logits, labels, np.array([5, 5, 7]))
    np.testing.assert_array_equal(np.asarray(out), logits)


def test_bce_negatives_are_uniform_over_the_items_the_row_does_not_own():
    rng = np.random.default_rng(0)
    owners = [np.array([1, 2]), np.array([3, 4, 5]), np.array([1, 1, 5])]
    negatives = sample_negatives(owners, 30_000, rng)
    for row, allowed in zip(negatives, ([3, 4, 5], [1, 2], [2, 3, 4])):
        frequency = np.bincount(row, minlength=6)[1:] / len(row)
        expected = np.isin(np.arange(1, 6), allowed) / len(allowed)
        np.testing.assert_allclose(frequency, expected, atol=0.01)


def test_bce_negatives_refuse_a_user_who_owns_everything():
    with pytest.raises(ValueError, match="every item"):
        sample_negatives([np.array([1, 2, 3]), np.array([2])], 4, np.random.default_rng(0))
