"""ColumbiaGaze/PRGAN-style eye patches, rendered directly with crop cameras.

PRGAN crops a square around each eye whose side is 1.7x the diameter of the
circle enclosing the eye landmarks. Instead of cropping a low-resolution
image, we build a camera with the same centre and rotation whose principal
point and focal length map that square onto a 64x64 image, and ray-cast it.
The right-eye patch is mirrored horizontally (its yaw label is negated by the
caller), so both patches look like a left eye.
"""

import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A
from gazejax.data.synthgaze.scene import EYE_SIDES
from gazejax.geometry import camera_from_label, eg3d_rays


def eye_landmarks(scene, eye):
    """World points (4, 3) of one eye: the two corners and the two lid apexes."""
    c = scene.opening_centre
    a = jnp.stack([c - A.OPENING_HALF_WIDTH, c + A.OPENING_HALF_WIDTH, c, c])
    b = jnp.stack([jnp.zeros(()), jnp.zeros(()), scene.upper_lid, scene.lower_lid])
    u = jnp.stack(
        [EYE_SIDES[eye] * jnp.sin(a) * jnp.cos(b), jnp.sin(b), jnp.cos(a) * jnp.cos(b)], -1
    )
    return scene.eye_centres[eye] + scene.lid_radius * u


def project(label, points):
    """World points (N, 3) -> normalised image coordinates (N, 2) for an EG3D label (25,)."""
    cam2world, k = camera_from_label(label)
    cam = (points - cam2world[:3, 3]) @ cam2world[:3, :3]
    xy = cam[:, :2] / cam[:, 2:]
    return xy * jnp.stack([k[0, 0], k[1, 1]]) + k[:2, 2]


def crop_label(scene, label, eye):
    """EG3D label (25,) of the crop camera for one eye (same pose, new intrinsics)."""
    cam2world, k = camera_from_label(label)
    xy = project(label, eye_landmarks(scene, eye))
    # Enclosing circle approximated by the farthest landmark pair (the corners,
    # except at extreme views).
    diffs = xy[:, None, :] - xy[None, :, :]
    distances = jnp.linalg.norm(diffs, axis=-1)
    i, j = jnp.unravel_index(jnp.argmax(distances), distances.shape)
    centre = 0.5 * (xy[i] + xy[j])
    side = A.EYE_PATCH_SCALE * distances[i, j]
    focal = k[0, 0] / side
    principal = (k[:2, 2] - centre) / side + 0.5
    crop_k = jnp.array([[focal, 0.0, 0.0], [0.0, focal, 0.0], [0.0, 0.0, 1.0]])
    crop_k = crop_k.at[:2, 2].set(principal)
    return jnp.concatenate([cam2world.reshape(16), crop_k.reshape(9)])


def eye_patch_rays(scene, label):
    """Rays of both crop cameras: origins, unit directions (2 * 64 * 64, 3)."""
    labels = jnp.stack([crop_label(scene, label, 0), crop_label(scene, label, 1)])
    origins, directions = eg3d_rays(labels, A.EYE_PATCH_SIZE)
    return origins.reshape(-1, 3), directions.reshape(-1, 3)


def eye_patches_from_rays(rgb):
    """Colours (2 * 64 * 64, 3) of :func:`eye_patch_rays` -> patches (2, 64, 64, 3):
    [left eye, right eye mirrored horizontally]."""
    p = A.EYE_PATCH_SIZE
    patches = rgb.reshape(2, p, p, 3)
    return jnp.stack([patches[0], patches[1, :, ::-1]])
