"""Foreign gaze/camera conventions, converted in exactly one function each.

Ours: (pitch, yaw) radians, ``pitch = asin(-g_y)``, ``yaw = atan2(-g_x, -g_z)``.
"""

import math
import pathlib
import re

import jax.numpy as jnp

from gazejax.geometry.gaze import vector_to_pitchyaw


def from_l2cs(yaw, pitch, degrees=True):
    """L2CS-Net / GazeHub angles -> our (pitch, yaw) radians ``(..., 2)``.

    L2CS returns ``(yaw, pitch)`` (its scripts then mislabel them as
    ``pitch, yaw``; L2CS issue #32) in degrees when decoded from bins, radians
    in ``test.py``/``Pipeline``. GazeHub's ``2DGaze = [yaw, pitch]`` uses the
    same signs as ETH-XGaze (pitch > 0 up, yaw = atan2(-x, -z)), so only the
    order and the unit change.
    """
    out = jnp.stack([jnp.asarray(pitch), jnp.asarray(yaw)], axis=-1)
    return jnp.radians(out) if degrees else out


def from_gazenerf(pitchyaw):
    """GazeNeRF labels -> ours: GazeNeRF uses ``pitch = asin(+g_y)``, so pitch flips."""
    pitchyaw = jnp.asarray(pitchyaw)
    return jnp.stack([-pitchyaw[..., 0], pitchyaw[..., 1]], axis=-1)


def to_gazenerf(pitchyaw):
    """Ours -> GazeNeRF's pitch-flipped labels (what its eye rotation expects)."""
    return from_gazenerf(pitchyaw)


def from_prgan(label):
    """PRGAN/ColumbiaGaze patch labels ``[H/15, V/10]`` ``(..., 2)`` -> our (pitch, yaw).

    ``H``, ``V`` are Columbia's horizontal/vertical gaze in degrees. Signs as
    GazeNeRF's Columbia conversion (pitch = V, yaw = -H at head pose 0).
    """
    label = jnp.asarray(label)
    return jnp.radians(jnp.stack([10.0 * label[..., 1], -15.0 * label[..., 0]], axis=-1))


def to_prgan(pitchyaw):
    """Our (pitch, yaw) ``(..., 2)`` -> PRGAN's ``[H/15, V/10]``, each in [-1, 1] on Columbia."""
    deg = jnp.degrees(jnp.asarray(pitchyaw))
    return jnp.stack([-deg[..., 1] / 15.0, deg[..., 0] / 10.0], axis=-1)


_COLUMBIA = re.compile(
    r"^(?P<subject>\d+)_(?P<distance>\d+)m_(?P<P>-?\d+)P_(?P<V>-?\d+)V_(?P<H>-?\d+)H(?:_(?P<side>[LR]))?$"
)


def columbia_filename_to_labels(name):
    """Parses a ColumbiaGaze/PRGAN file name such as ``0001_2m_-15P_10V_-5H.jpg``.

    Returns a dict with ``subject`` (int), ``distance_m``, ``head_pose_deg``
    (P: the camera's horizontal position around the head), ``vertical_deg``
    (V), ``horizontal_deg`` (H), ``side`` ('L', 'R' or None for eye patches)
    and ``gaze``: our (pitch, yaw) radians = (V, P - H), GazeNeRF's Columbia
    labelling (``[-V, P - H]`` in its pitch-flipped convention). Eye-patch
    names (``_L``/``_R``) get the same labels; mirrored right patches negate
    yaw where the patch is loaded, not here.
    """
    stem = pathlib.Path(name).stem
    m = _COLUMBIA.match(stem)
    if m is None:
        raise ValueError(
            f"not a ColumbiaGaze file name: {name!r} (expected e.g. 0001_2m_-15P_10V_-5H.jpg)"
        )
    p, v, h = (int(m[k]) for k in ("P", "V", "H"))
    return dict(
        subject=int(m["subject"]),
        distance_m=int(m["distance"]),
        head_pose_deg=p,
        vertical_deg=v,
        horizontal_deg=h,
        side=m["side"],
        gaze=(math.radians(v), math.radians(p - h)),
    )


def from_eg3d_sampler_angles(h, v):
    """EG3D ``LookAtPoseSampler`` angles (h, v) -> our camera (yaw, pitch) radians.

    EG3D places the camera at ``r (sin phi cos(pi - h), cos phi, sin phi sin(pi - h))``
    with ``phi = arccos(1 - 2 v / pi)``; frontal is (pi/2, pi/2). Hence
    ``yaw = h - pi/2`` and the elevation ``pitch = asin(cos phi) = asin(1 - 2 v / pi)``.
    (EG3D-based face-angle code reads ``(pi/2) O_y / |O|`` instead, which
    agrees only for small angles.)
    """
    v = jnp.clip(jnp.asarray(v, jnp.float32), 1e-5, math.pi - 1e-5)
    return jnp.stack(
        [jnp.asarray(h, jnp.float32) - math.pi / 2, jnp.arcsin(1.0 - 2.0 * v / math.pi)], -1
    )


def from_gaze360(gaze_dir):
    """Gaze360 ``gaze_dir`` ``(..., 3)`` -> our (pitch, yaw) radians ``(..., 2)``.

    Gaze360's Eye frame has +x to the camera's left, +y up and +z away from
    the camera (``[0, 0, -1]`` looks into the camera), i.e. the OpenCV frame
    with x and y negated. So ``pitch = asin(y)`` and ``yaw = atan2(x, -z)``:
    the official loader's ``[atan2(x, -z), asin(y)]`` in our order.
    """
    return vector_to_pitchyaw(jnp.asarray(gaze_dir, jnp.float32) * jnp.array([-1.0, -1.0, 1.0]))
