"""A trained EG3D as LiveGaze's depth teacher (Eq. 10): the mean face's depth seen from the target camera.

RTGaze distils face geometry from a pretrained portrait generator. EG3D is a
GAN, not an encoder, so it cannot read the person in the frontal image
without an inversion; this teacher renders the generator's MEAN face
instead: ``w = w_avg`` (truncation psi 0, so neither the latent nor the
conditioning camera matters), its tri-planes computed once, and the
expected ray depth rendered through them from each target camera at
LiveGaze's neural resolution (deterministic ray samples). It is a
face-shaped prior that follows the camera exactly and ignores who is in the
image; fitting a latent to each frontal image would make it personal, at the
cost of an optimisation inside every training step.

Use with LiveGaze::

    --config.loss.depth_teacher=gazejax.methods.eg3d.depth_teacher:from_config
    --config.loss.depth_teacher_run=runs/eg3d            # a run directory or an inference bundle

Depth is in EG3D's world units along the ray, LiveGaze's own (both render
EG3D camera labels with the same renderer); the two configs should share
``ray_start`` / ``ray_end``.
"""

import functools

import jax
import jax.numpy as jnp

from gazejax.geometry import camera_label
from gazejax.methods.eg3d.training import build_models
from gazejax.run_loading import load_model


@functools.lru_cache(maxsize=2)
def mean_face(run):
    """``(generator, decoder variables, planes (1, 3, R, R, C))`` of the EMA generator's mean face in ``run``.

    Cached: the trainer traces the LiveGaze loss more than once.
    """
    loaded = load_model(run, method="eg3d")
    generator, _ = build_models(loaded.config)
    variables = {"params": loaded.state["ema_params"], **loaded.state["extra"]["buffers"]}
    frontal = camera_label(0.0, 0.0)[None]
    z = jnp.zeros((1, loaded.config.model.z_dim))

    @jax.jit
    def planes(variables):
        ws = generator.apply(variables, z, frontal, 0.0, method=generator.mapping)
        return generator.apply(variables, ws, method=generator.planes)

    return generator, {"params": {"decoder": variables["params"]["decoder"]}}, planes(variables)


def from_config(config):
    """LiveGaze ``loss.depth_teacher`` factory: ``fn(frontal_image, camera (N, 25)) -> depth (N, r, r)``.

    ``r`` is ``config.model.neural_resolution``; the EG3D run is
    ``config.loss.depth_teacher_run``.
    """
    run = config.loss.get("depth_teacher_run", "")
    if not run:
        raise ValueError("the EG3D depth teacher needs loss.depth_teacher_run: an EG3D run directory or bundle")
    generator, variables, planes = mean_face(str(run))
    resolution = config.model.neural_resolution

    def teacher(frontal_image, camera):
        del frontal_image  # the mean face is nobody in particular
        n = camera.shape[0]
        return generator.apply(variables, jnp.broadcast_to(planes, (n, *planes.shape[1:])), camera, resolution,
                               method=generator.depth)

    return teacher
