"""gazejax: 3D-aware gaze redirection in JAX/Flax.

Conventions (docs/conventions.md): gaze and head angles are ``(pitch, yaw)`` in radians,
OpenCV camera frame; images are float32 NHWC RGB in [0, 1].
"""

__version__ = "0.1.0"

# Before any JAX backend starts (it reads XLA_FLAGS once): faster CPU reductions.
from gazejax import xla_cpu_flags  # noqa: E402

xla_cpu_flags.apply()
