"""Gradient accumulation inside one training step (``config.num_microbatches``).

The step's batch is cut into ``num_microbatches`` slices that go through the
loss and its gradient one after another (a ``lax.scan``), so the step holds
the activations of one slice, not of the whole batch. The gradient, loss and
metrics are the means over the slices: equal to the whole batch's where the
loss is a mean over examples; a loss normalised over the whole batch (a
masked mean divided by the batch's mask area) becomes the mean of each
slice's normalised loss.
"""

import jax
import jax.numpy as jnp


def check_microbatches(batch_size, num_microbatches):
    """Raises ValueError (one line) unless ``num_microbatches`` is a count dividing ``batch_size``."""
    if isinstance(num_microbatches, bool) or not isinstance(num_microbatches, int) or num_microbatches < 1:
        raise ValueError(f"num_microbatches must be an integer >= 1, got {num_microbatches!r}")
    if batch_size % num_microbatches:
        raise ValueError(f"num_microbatches ({num_microbatches}) must divide batch_size ({batch_size})")


def microbatched_value_and_grad(loss_fn, params, batch, key, num_microbatches):
    """``(loss, metrics), grads`` of ``loss_fn(params, batch, key) -> (loss, metrics)``.

    With one microbatch this is ``jax.value_and_grad`` on the whole batch. With M,
    slice m takes rows m, m + M, m + 2M, ... of every batch array (on a batch
    sharded over devices, every device then holds part of every slice) and the
    key ``fold_in(key, m)``.
    """
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
    if num_microbatches == 1:
        return grad_fn(params, batch, key)

    def strided(a):
        return a.reshape(a.shape[0] // num_microbatches, num_microbatches, *a.shape[1:]).swapaxes(0, 1)

    slices = jax.tree.map(strided, batch)

    def accumulate(total, index_and_slice):
        index, one = index_and_slice
        return jax.tree.map(jnp.add, total, grad_fn(params, one, jax.random.fold_in(key, index))), None

    shapes = jax.eval_shape(grad_fn, params, jax.tree.map(lambda a: a[0], slices), key)
    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
    total, _ = jax.lax.scan(accumulate, zeros, (jnp.arange(num_microbatches), slices))
    return jax.tree.map(lambda t: t / num_microbatches, total)
