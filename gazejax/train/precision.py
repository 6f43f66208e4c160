"""Mixed precision: which dtype a model computes in (``config.compute_dtype``).

``"float32"`` (the default) or ``"bfloat16"``. Parameters, optimizer state and
every loss stay float32 whatever is chosen: a method builds its networks with
``dtype=compute_dtype(config)``, and Flax's layers then cast their float32
parameters and inputs to that dtype for the matmuls and convolutions (the
``dtype``/``param_dtype`` split of ``flax.linen``), so gradients arrive in
float32 at float32 parameters. Parts whose precision matters compute in
float32 wherever the compute dtype is lower: volume-rendering compositing
(``gazejax.render.ray_marcher.composite``), attention softmaxes, BatchNorm
statistics (Flax's float32 reductions), and each network's outputs, which are
cast to float32 before any loss or metric sees them. How far bfloat16 results
are from float32 ones is measured in ``docs/performance.md``.
"""

import jax.numpy as jnp

COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def compute_dtype(config):
    """The dtype named by ``config.compute_dtype`` (float32 when the config has no such field)."""
    name = config.get("compute_dtype", "float32")
    if name not in COMPUTE_DTYPES:
        raise ValueError(f"compute_dtype must be one of {', '.join(COMPUTE_DTYPES)}, got {name!r}")
    return COMPUTE_DTYPES[name]
