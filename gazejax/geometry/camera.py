"""EG3D camera labels and the rays they generate.

A label is EG3D's 25-vector: the cam2world 4x4 (OpenCV axes: x right, y down,
z forward; row-major) followed by the 3x3 intrinsics normalised by the image
size (principal point 0.5). World frame: +y up, the face looks toward +z,
image right = world +x in the frontal view. The frontal camera sits at
(0, 0, 2.7) with rotation diag(1, -1, -1).

Camera angles ``(yaw, pitch)`` here are the geometric azimuth/elevation of
the camera centre on its orbit: ``origin = r (cos p sin y, sin p, cos p cos y)``.
Positive yaw moves the camera toward world +x (the subject's left), positive
pitch moves it up. EG3D's own sampler parameters (h, v) map to these with
:func:`gazejax.geometry.from_eg3d_sampler_angles`. As in EG3D's LookAt
sampler, the orbit is centred on the world origin, not on ``look_at``.
"""

import jax.numpy as jnp

EG3D_RADIUS = 2.7
EG3D_FOCAL = 4.2647  # FFHQ dataset intrinsics 2985.29 / 700, normalised by image size


def _normalize(v):
    return v / jnp.linalg.norm(v, axis=-1, keepdims=True)


def lookat_rotation(origin, look_at, up=(0.0, 1.0, 0.0)):
    """Cam2world rotation ``(..., 3, 3)`` of a camera at ``origin`` facing ``look_at``.

    Columns are the camera's right, down and forward axes in world space, as
    EG3D's ``create_cam2world_matrix``: ``right = -normalize(up x forward)``,
    ``down = forward x right``.
    """
    origin = jnp.asarray(origin, jnp.float32)
    forward = _normalize(jnp.asarray(look_at, jnp.float32) - origin)
    up = jnp.broadcast_to(jnp.asarray(up, jnp.float32), forward.shape)
    right = -_normalize(jnp.cross(up, forward))
    down = jnp.cross(forward, right)
    return jnp.stack([right, down, forward], axis=-1)


def camera_label(yaw, pitch, radius=EG3D_RADIUS, look_at=(0.0, 0.0, 0.0), focal=EG3D_FOCAL):
    """EG3D label ``(..., 25)`` for a camera on an orbit around the origin.

    Args:
      yaw, pitch: camera azimuth/elevation in radians, broadcastable ``(...)``.
      radius: orbit radius (EG3D: 2.7).
      look_at: the world point the camera faces (EG3D's pivot is (0, 0, 0.2)).
      focal: focal length normalised by the image size (EG3D FFHQ: 4.2647).
    """
    yaw, pitch = jnp.broadcast_arrays(jnp.asarray(yaw, jnp.float32), jnp.asarray(pitch, jnp.float32))
    cp = jnp.cos(pitch)
    origin = radius * jnp.stack([cp * jnp.sin(yaw), jnp.sin(pitch), cp * jnp.cos(yaw)], -1)
    rot = lookat_rotation(origin, jnp.broadcast_to(jnp.asarray(look_at, jnp.float32), origin.shape))
    top = jnp.concatenate([rot, origin[..., None]], axis=-1)  # (..., 3, 4)
    bottom = jnp.broadcast_to(jnp.array([0.0, 0.0, 0.0, 1.0]), top.shape[:-2] + (1, 4))
    cam2world = jnp.concatenate([top, bottom], axis=-2)
    intrinsics = jnp.array([[focal, 0.0, 0.5], [0.0, focal, 0.5], [0.0, 0.0, 1.0]], jnp.float32)
    intrinsics = jnp.broadcast_to(intrinsics, top.shape[:-2] + (3, 3))
    lead = top.shape[:-2]
    return jnp.concatenate(
        [cam2world.reshape(lead + (16,)), intrinsics.reshape(lead + (9,))], axis=-1
    )


def camera_from_label(label):
    """Label ``(..., 25)`` -> (cam2world ``(..., 4, 4)``, normalised K ``(..., 3, 3)``)."""
    label = jnp.asarray(label)
    if label.shape[-1] != 25:
        raise ValueError(f"an EG3D camera label has 25 numbers, got shape {label.shape}")
    lead = label.shape[:-1]
    return label[..., :16].reshape(lead + (4, 4)), label[..., 16:].reshape(lead + (3, 3))


def camera_angles(label):
    """Label ``(..., 25)`` -> camera (yaw, pitch) ``(..., 2)``, inverse of :func:`camera_label`."""
    cam2world, _ = camera_from_label(label)
    o = cam2world[..., :3, 3]
    yaw = jnp.arctan2(o[..., 0], o[..., 2])
    pitch = jnp.arcsin(jnp.clip(o[..., 1] / jnp.linalg.norm(o, axis=-1), -1.0, 1.0))
    return jnp.stack([yaw, pitch], axis=-1)


def eg3d_rays(label, resolution):
    """World-space rays through the pixel centres, as EG3D's ``RaySampler``.

    Pixel ``k = row * resolution + col`` is sampled at normalised image
    coordinates ``((col + 0.5) / R, (row + 0.5) / R)``.

    Args:
      label: ``(..., 25)`` EG3D camera labels.
      resolution: output side length R (int).

    Returns:
      origins ``(..., R*R, 3)`` and unit directions ``(..., R*R, 3)``.
    """
    cam2world, k = camera_from_label(label)
    centres = (jnp.arange(resolution, dtype=jnp.float32) + 0.5) / resolution
    y, x = jnp.meshgrid(centres, centres, indexing="ij")
    x, y = x.reshape(-1), y.reshape(-1)
    fx, fy = k[..., 0, 0, None], k[..., 1, 1, None]
    cx, cy, sk = k[..., 0, 2, None], k[..., 1, 2, None], k[..., 0, 1, None]
    x_lift = (x - cx + cy * sk / fy - sk * y / fy) / fx
    y_lift = (y - cy) / fy
    cam_dirs = jnp.stack([x_lift, y_lift, jnp.ones_like(x_lift)], axis=-1)
    dirs = _normalize(jnp.einsum("...ij,...nj->...ni", cam2world[..., :3, :3], cam_dirs))
    origins = jnp.broadcast_to(cam2world[..., None, :3, 3], dirs.shape)
    return origins, dirs
