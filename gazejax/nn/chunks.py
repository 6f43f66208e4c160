"""An axis cut into equal chunks for a memory-bounded loop, and the loop's outputs joined back.

    chunked = to_chunks(x, size)                 # (N, L, ...) -> (C, N, size, ...)
    out = jax.lax.map(jax.checkpoint(f), chunked)
    y = from_chunks(out, L)                      # (C, N, size, ...) -> (N, L, ...)

The ray renderer, GazeNeRF's MLP streams and chunked attention map this way,
so that a backward pass recomputes one chunk at a time.
"""

import jax.numpy as jnp


def to_chunks(a, size):
    """``(N, L, ...)`` -> ``(ceil(L / size), N, size, ...)``.

    The last chunk is padded by repeating the last row (a valid ray or query,
    whose result :func:`from_chunks` drops).
    """
    n, length = a.shape[:2]
    count = -(-length // size)
    a = jnp.pad(a, [(0, 0), (0, count * size - length)] + [(0, 0)] * (a.ndim - 2), mode="edge")
    return jnp.moveaxis(a.reshape((n, count, size) + a.shape[2:]), 1, 0)


def from_chunks(a, length):
    """``(C, N, size, ...)`` -> ``(N, length, ...)``: the chunks joined, the padding dropped."""
    a = jnp.moveaxis(a, 0, 1)
    return a.reshape((a.shape[0], a.shape[1] * a.shape[2]) + a.shape[3:])[:, :length]
