"""ETH-XGaze data normalization (Zhang, Sugano & Bulling, ETRA 2018).

A virtual camera is rotated to look at the face centre from a fixed distance
with its x axis aligned with the head's, then the image is re-projected:
``W = K_n S R K^-1``. Gaze vectors are rotated by ``R`` only (not ``S R``;
ETH-XGaze issue #26) and the head rotation becomes ``R R_h``.

Published pipelines' constants (focal, distance, size): ETH-XGaze 448 px
f=960 d=300 mm; ST-ED faces f=500 d=600 mm 128 px; GazeNeRF 512 px f=1600
d=680 mm (more in docs/conventions.md).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gazejax.geometry.gaze import pitchyaw_to_vector, vector_to_pitchyaw


class Normalization(NamedTuple):
    """Result of :func:`normalize_face` (all float32, batch dims allowed).

    rotation: ``R`` (3, 3), rows = the normalized camera's x, y, z axes.
    scale: ``S`` (3, 3) = diag(1, 1, d_n / |c|).
    camera_matrix: ``K_n`` (3, 3) of the normalized camera.
    warp: ``W = K_n S R K^-1`` (3, 3), original pixels -> normalized pixels.
    size: output side length in pixels.
    """

    rotation: jax.Array
    scale: jax.Array
    camera_matrix: jax.Array
    warp: jax.Array
    size: int

    def gaze(self, pitchyaw):
        """Camera-frame gaze (pitch, yaw) -> normalized-camera gaze (rotated by R only)."""
        g = pitchyaw_to_vector(pitchyaw)
        return vector_to_pitchyaw(jnp.einsum("...ij,...j->...i", self.rotation, g))

    def head_rotation(self, head_rotation):
        """Head->camera rotation -> head->normalized-camera rotation ``R R_h``."""
        return self.rotation @ head_rotation

    def warp_image(self, image):
        """Re-projects ``image`` (H, W, C) float to the normalized (size, size, C) image.

        Inverse mapping with bilinear interpolation; outside pixels are 0.
        """
        size = self.size
        ys, xs = jnp.meshgrid(jnp.arange(size), jnp.arange(size), indexing="ij")
        target = jnp.stack([xs, ys, jnp.ones_like(xs)], -1).reshape(-1, 3).astype(jnp.float32)
        source = target @ jnp.linalg.inv(self.warp).T
        sx, sy = source[:, 0] / source[:, 2], source[:, 1] / source[:, 2]
        channels = [
            jax.scipy.ndimage.map_coordinates(image[..., c], [sy, sx], order=1, cval=0.0)
            for c in range(image.shape[-1])
        ]
        return jnp.stack(channels, -1).reshape(size, size, image.shape[-1])


def normalize_face(camera_matrix, head_rotation, face_center, focal, distance, size):
    """Builds the normalization of one face.

    Args:
      camera_matrix: original intrinsics ``K`` (3, 3) in pixels.
      head_rotation: head->camera rotation ``R_h`` (3, 3) (head frame as in
        :mod:`gazejax.geometry.head`).
      face_center: face centre ``c`` (3,) in camera coordinates (same unit as
        ``distance``).
      focal, distance, size: the normalized camera's focal length (px), the
        distance it is placed at, and the output side (px).
    """
    c = jnp.asarray(face_center, jnp.float32)
    dist = jnp.linalg.norm(c)
    forward = c / dist
    down = jnp.cross(forward, jnp.asarray(head_rotation, jnp.float32)[:, 0])
    down = down / jnp.linalg.norm(down)
    right = jnp.cross(down, forward)
    right = right / jnp.linalg.norm(right)
    rotation = jnp.stack([right, down, forward])
    scale = jnp.diag(jnp.array([1.0, 1.0, distance / dist], jnp.float32))
    k_n = jnp.array(
        [[focal, 0.0, size / 2.0], [0.0, focal, size / 2.0], [0.0, 0.0, 1.0]], jnp.float32
    )
    warp = k_n @ scale @ rotation @ jnp.linalg.inv(jnp.asarray(camera_matrix, jnp.float32))
    return Normalization(rotation, scale, k_n, warp, int(size))
