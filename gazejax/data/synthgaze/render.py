"""Rendering rays of a :class:`~gazejax.data.synthgaze.params.Scene`.

Rays (from :func:`gazejax.geometry.eg3d_rays`, pixel centres) are cast in
chunks with ``lax.map`` so memory stays flat up to 512^2 images.
"""

import jax
import jax.numpy as jnp

from gazejax.data.synthgaze.scene import BACKGROUND, EYEBALL, intersect
from gazejax.data.synthgaze.shading import shade

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
        face=f32(hit["surface"] != BACKGROUND),
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
    rays = tuple(jnp.concatenate([x, x[:pad]]) for x in (origins, directions))
    out = jax.lax.map(lambda od: render_ray(scene, od[0], od[1]), rays, batch_size=chunk)
    return jax.tree.map(lambda x: x[:n], out)
