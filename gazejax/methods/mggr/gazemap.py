"""MGGR's pictorial gaze guidance: the gazemap ``F_s`` (Eq. 5) and ``Delta r_s`` (Eq. 4).

The gazemap (MGGR Sec. 3.1, "MultiModal Guidance Module with GazeMap", after
Park et al. 2018) is a two-channel binary image of an eyeball and its iris
seen from the camera; it depends only on the angles, not on the sample.
"""

import math

import jax.numpy as jnp

# Eq. 5: the projected eyeball diameter is 2k = 1.2 n (n = map height).
EYEBALL_DIAMETER_TO_HEIGHT = 1.2


def iris_centre(pitchyaw, height, width):
    """Iris centre ``(mu, nu)`` of MGGR Eq. 5 in pixel coordinates.

    ``mu = m/2 - k cos(asin 1/2) sin(phi) cos(theta)``,
    ``nu = n/2 - k cos(asin 1/2) sin(theta)`` with ``(theta, phi) = (pitch,
    yaw)``, ``m = width``, ``n = height``, ``k = 0.6 n``. Coordinates are
    continuous, x to the right and y down, with pixel ``(row, col)``
    centred at ``(col + 0.5, row + 0.5)``. Positive pitch (looking up) moves
    the iris up and positive yaw (looking toward image left) moves it left,
    matching the ETH-XGaze convention.

    Args:
      pitchyaw: (..., 2) radians.

    Returns:
      (mu, nu), each of shape (...).
    """
    pitch, yaw = pitchyaw[..., 0], pitchyaw[..., 1]
    k = 0.5 * EYEBALL_DIAMETER_TO_HEIGHT * height
    distance = k * math.cos(math.asin(0.5))
    mu = width / 2 - distance * jnp.sin(yaw) * jnp.cos(pitch)
    nu = height / 2 - distance * jnp.sin(pitch)
    return mu, nu


def gazemap(pitchyaw, height, width):
    """Two-channel gazemap ``S = F_s(r)`` of MGGR Eq. 5: (eyeball, iris).

    Channel 0 is the eyeball, a disc of radius ``k`` at the map centre.
    Channel 1 is the iris, an ellipse centred at :func:`iris_centre` with
    major-axis diameter ``k`` and minor-axis diameter ``k |cos(theta)
    cos(phi)|``. The paper writes ``r |cos theta cos phi|`` for the minor axis
    and does not give the ellipse's orientation; we read ``r`` as ``k`` (so a
    frontal iris is a circle) and align the minor axis with the iris offset
    from the centre, which is the direction a disc on a sphere foreshortens.

    Args:
      pitchyaw: (..., 2) radians.
      height, width: map size ``n``, ``m`` (Python ints).

    Returns:
      (..., height, width, 2) float32 in {0, 1}.
    """
    pitchyaw = jnp.asarray(pitchyaw, jnp.float32)
    k = 0.5 * EYEBALL_DIAMETER_TO_HEIGHT * height
    y = jnp.arange(height, dtype=jnp.float32) + 0.5
    x = jnp.arange(width, dtype=jnp.float32) + 0.5
    eyeball = ((x[None, :] - width / 2) ** 2 + (y[:, None] - height / 2) ** 2) <= k**2
    eyeball = jnp.broadcast_to(eyeball, pitchyaw.shape[:-1] + (height, width))

    mu, nu = iris_centre(pitchyaw, height, width)
    pitch, yaw = pitchyaw[..., 0], pitchyaw[..., 1]
    angle = jnp.arctan2(nu - height / 2, mu - width / 2)[..., None, None]
    dx = x[None, :] - mu[..., None, None]
    dy = y[:, None] - nu[..., None, None]
    along = dx * jnp.cos(angle) + dy * jnp.sin(angle)
    across = -dx * jnp.sin(angle) + dy * jnp.cos(angle)
    semi_major = k / 2
    # A floor keeps an edge-on iris (cos = 0) a thin line instead of 0/0.
    semi_minor = jnp.maximum(semi_major * jnp.abs(jnp.cos(pitch) * jnp.cos(yaw)), 1e-3)
    iris = (along / semi_minor[..., None, None]) ** 2 + (across / semi_major) ** 2 <= 1.0
    return jnp.stack([eyeball, iris], axis=-1).astype(jnp.float32)


def normalize_angles(pitchyaw, scale_deg):
    """Divides (pitch, yaw) radians by per-component scales given in degrees.

    MGGR (Sec. 4.1) normalises gaze to [-1, 1]; with ``scale_deg`` the largest
    angle of a dataset (ColumbiaGaze differences: 20 deg pitch, 30 deg yaw),
    angles and angle differences land in [-1, 1], the range of the gazemap.
    """
    return pitchyaw / jnp.radians(jnp.asarray(scale_deg, jnp.float32))


def guidance(source_gaze, target_gaze, height, width, scale_deg, use_gazemap=True):
    """The multimodal guidance ``Delta r_s = [Delta r, S_a, S_b]`` (MGGR Eq. 4, Fig. 3).

    ``Delta r = r_b - r_a`` (the paper says "the difference" without a sign;
    we use target minus source), normalised by :func:`normalize_angles` and
    tiled to ``height x width``: that tiling plus the normalisation is our
    reading of the paper's "scale normalization" between the 2-vector and the
    ``m x n`` gazemaps. Gazemaps are synthesised at the requested size rather
    than resized, so every decoder scale gets crisp maps.

    Args:
      source_gaze, target_gaze: (N, 2) radians, ``r_a`` and ``r_b``.
      height, width: spatial size (Python ints).
      scale_deg: (2,) angle normalisation, see :func:`normalize_angles`.
      use_gazemap: False drops ``S_a, S_b`` (the paper's "no gazemap" ablation).

    Returns:
      (N, height, width, 6), or (N, height, width, 2) without gazemaps.
    """
    delta = normalize_angles(target_gaze - source_gaze, scale_deg)
    tiled = jnp.broadcast_to(delta[:, None, None, :], (delta.shape[0], height, width, 2))
    if not use_gazemap:
        return tiled
    maps = [gazemap(g, height, width) for g in (source_gaze, target_gaze)]
    return jnp.concatenate([tiled] + maps, axis=-1)
