"""Rendering rays and images of a :class:`~gazejax.data.synthgaze.params.Scene`.

Rays come from :func:`gazejax.geometry.eg3d_rays` (pixel centres); they are
cast in chunks with ``lax.map`` so memory stays flat up to 512^2.
"""

import jax
import jax.numpy as jnp

from gazejax.data.synthgaze.scene import EYEBALL, intersect
from gazejax.data.synthgaze.shading import shade
from gazejax.geometry import eg3d_rays

RAY_CHUNK = 4096


def render_ray(scene, origin, direction):
    """One ray -> dict rgb (3,), depth () (0 on background), face (), left_eye (),
    right_eye (), iris () as float32 (masks in {0, 1})."""
    hit = intersect(scene, origin, direction)
    rgb, iris = shade(scene, hit, direction)
    eyeball = hit["surface"] == EYEBALL
    f32 = lambda x: x.astype(jnp.float32)  # noqa: E731
    return dict(
        rgb=rgb,
        depth=jnp.where(jnp.isfinite(hit["t"]), hit["t"], 0.0),
        face=f32(hit["surface"] != 0),
        left_eye=f32(eyeball & (hit["eye"] == 0)),
        right_eye=f32(eyeball & (hit["eye"] == 1)),
        iris=f32(iris),
    )


def render_rays(scene, origins, directions, chunk=RAY_CHUNK):
    """Rays (N, 3) (unit directions) -> dict of (N, ...) arrays, see :func:`render_ray`."""
    n = origins.shape[0]
    chunk = min(chunk, n)
    # Padding to whole chunks keeps one copy of the ray code in the compiled
    # program (lax.map would add a second one for a remainder).
    pad = -n % chunk
    rays = jnp.concatenate([origins, origins[:pad]]), jnp.concatenate([directions, directions[:pad]])
    out = jax.lax.map(lambda od: render_ray(scene, od[0], od[1]), rays, batch_size=chunk)
    return jax.tree.map(lambda x: x[:n], out)


def render_image(scene, label, resolution, chunk=RAY_CHUNK):
    """EG3D camera label (25,) -> dict of images: rgb (R, R, 3), depth/face/
    left_eye/right_eye/iris (R, R); depth is the distance along the ray."""
    origins, directions = eg3d_rays(label, resolution)
    out = render_rays(scene, origins, directions, chunk)
    return jax.tree.map(lambda x: x.reshape((resolution, resolution) + x.shape[1:]), out)
