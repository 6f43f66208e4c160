"""Training losses. Import each file directly (no re-exports):

- ``gazejax.losses.perceptual``: VGG perceptual, Gram/style, LPIPS.
- ``gazejax.losses.gaze``: L2CS training loss, L2CS gaze alignment (gaze-corrected
  EG3D), functional angular loss through a frozen estimator (GazeNeRF).

Frozen networks are passed in as callables ``images -> outputs`` (e.g.
``functools.partial(module.apply, variables)``), so every loss is a pure
function, differentiable with respect to the images.
"""
