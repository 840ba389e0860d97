"""Dropout whose random mask costs a quarter of the random bits of Keras' own.

Keras' JAX `Dropout` draws one threefry 32-bit word per element (`jax.random.bernoulli`); on a
2-core CPU dropout was ~17 % of a SASRec epoch (3.2 s with it, 2.65 s without). A dropout decision
needs only a few bits, so `ByteDropout` draws one 32-bit word per four elements and compares
each byte with a threshold. The kept fraction is the rate rounded to 1/256 (0.3 -> 77/256 =
0.3008), and kept values are scaled by the exact inverse of that fraction, so the layer is
unbiased. A cheaper generator is not an option: Keras' seed generator makes 2-word threefry
keys, which `jax_default_prng_impl="unsafe_rbg"` would reject (and it was not faster here).
"""

from __future__ import annotations

import math

import keras
from keras import ops


class ByteDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` (no `noise_shape`) with one random byte per element."""

    def __init__(self, rate: float, **kwargs):
        super().__init__(rate, **kwargs)
        # Keep an element when its byte is below `threshold` (out of 256).
        self.threshold = min(256, max(1, round((1.0 - rate) * 256)))

    def call(self, inputs, training=False):
        if not training or self.threshold == 256:  # also rate 0
            return inputs
        import jax

        shape = ops.shape(inputs)
        count = math.prod(shape)
        words = jax.random.bits(self.seed_generator.next(), (-(-count // 4),), "uint32")
        random_bytes = jax.lax.bitcast_convert_type(words, "uint8").reshape(-1)[:count]
        keep = random_bytes.reshape(shape) < self.threshold
        scale = ops.cast(256.0 / self.threshold, inputs.dtype)
        return ops.where(keep, inputs * scale, ops.zeros_like(inputs))


def use_byte_dropout(block: keras.layers.Layer) -> None:
    """Swap the dropout layers of a built keras-hub `TransformerDecoder` (attention
    probabilities, attention output, feed-forward output) for `ByteDropout`s of the same rate.

    Dropout layers hold no weights, so saved weights load either way. A built layer refuses
    new sub-layers; the swap lifts that lock for its own three assignments and restores it, as
    Keras' own `quantize` does for the layers it rewrites.

    Raises:
        AttributeError: keras-hub renamed the layers this expects (an upgrade must look).
    """
    attention = block._self_attention_layer
    for owner, name in ((attention, "_dropout_layer"), (block, "_self_attention_dropout"),
                        (block, "_feedforward_dropout")):
        old = getattr(owner, name)
        if not isinstance(old, keras.layers.Dropout):
            raise AttributeError(f"{type(owner).__name__}.{name} is not a Dropout layer")
        locked = owner._tracker.locked
        owner._tracker.unlock()
        try:
            setattr(owner, name, ByteDropout(old.rate, name=old.name))
        finally:
            if locked:
                owner._tracker.lock()
