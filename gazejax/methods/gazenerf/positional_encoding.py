"""NeRF positional encoding as GazeNeRF uses it (reference ``Embedder``).

``gamma(x) = [x, sin(2^0 x), cos(2^0 x), ..., sin(2^(L-1) x), cos(2^(L-1) x)]``
with NO factor pi (GazeNeRF paper Eq. 3's gamma as the reference code
computes it; docs/equations.md). For L = 10 and 3-d points this is 63 channels.
"""

import jax.numpy as jnp


def positional_encoding(x, num_freqs):
    """``(..., D)`` -> ``(..., D * (1 + 2 * num_freqs))``: input, then per frequency sin, cos."""
    parts = [x]
    for i in range(num_freqs):
        scaled = x * (2.0**i)
        parts += [jnp.sin(scaled), jnp.cos(scaled)]
    return jnp.concatenate(parts, axis=-1)


def encoded_size(num_freqs, dims=3):
    """Channel count of :func:`positional_encoding` for ``dims``-d inputs."""
    return dims * (1 + 2 * num_freqs)
