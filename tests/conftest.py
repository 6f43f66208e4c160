"""Test-wide set-up.

Multi-device code is tested on 8 fake CPU devices; the flag must be set before
JAX initialises its backends, which is why it lives here and not in a test.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_default_matmul_precision", "highest")
