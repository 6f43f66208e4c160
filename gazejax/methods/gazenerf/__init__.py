"""GazeNeRF: two-stream conditional NeRF with eye-feature rotation.

``model`` (the network), ``mlp`` (one stream), ``positional_encoding``,
``eye_rotation`` (rotation + merge), ``camera`` (rays' cameras and
per-image camera deltas), ``latent`` (per-image latent offsets).
"""

from gazejax.methods.gazenerf.model import IMAGE_NAMES, GazeNeRF

__all__ = ["IMAGE_NAMES", "GazeNeRF"]
