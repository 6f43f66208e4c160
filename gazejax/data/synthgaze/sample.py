"""The public per-record API: SynthGaze records as numpy dicts, in batches.

A record (its keys are listed in :func:`records`) is a pure function of
``(seed, identity, frame, view, resolution)``, rendered by one jitted function
per resolution, so the same seed gives identical bytes whatever the batch.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data.synthgaze import params
from gazejax.data.synthgaze.eye_patches import eye_patch_rays, eye_patches_from_rays
from gazejax.data.synthgaze.render import render_rays
from gazejax.geometry import (
    camera_from_label,
    camera_label,
    eg3d_rays,
    head_pose_from_rotation,
    pitchyaw_to_vector,
    vector_to_pitchyaw,
)

MIN_RESOLUTION, MAX_RESOLUTION, RESOLUTION_STEP = 32, 512, 8
# Eye-patch labels: the right patch is mirrored, so its yaw flips (as PRGAN).
MIRROR_YAW = jnp.array([1.0, -1.0])


def check_resolution(resolution):
    """Raises ValueError (one line) unless resolution is a multiple of 8 in 32..512."""
    if (
        not isinstance(resolution, (int, np.integer))
        or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION
        or resolution % RESOLUTION_STEP
    ):
        raise ValueError(
            f"resolution must be a multiple of {RESOLUTION_STEP} in "
            f"{MIN_RESOLUTION}..{MAX_RESOLUTION}, got {resolution!r}"
        )


def check_camera_gaze_share(share):
    """Raises ValueError (one line) unless ``share`` is a probability."""
    if isinstance(share, bool) or not isinstance(share, (int, float, np.floating)) or not 0.0 <= share <= 1.0:
        raise ValueError(f"camera_gaze_share must be a number in [0, 1], got {share!r}")


def check_gaze_spread(spread):
    """Raises ValueError (one line) unless ``spread`` is a number in (0, 1]."""
    if isinstance(spread, bool) or not isinstance(spread, (int, float, np.floating)) or not 0.0 < spread <= 1.0:
        raise ValueError(f"gaze_spread must be a number in (0, 1], got {spread!r}")


def _to_uint8(x):
    return jnp.round(jnp.clip(x, 0.0, 1.0) * 255.0).astype(jnp.uint8)


def _pose_labels(gaze_head, camera_angles):
    """Head-frame gaze (2,) + camera (yaw, pitch) (2,) -> EG3D label (25,),
    head->camera rotation (3, 3), camera-frame gaze (2,), head pose (2,)."""
    label = camera_label(camera_angles[0], camera_angles[1])
    cam2world, _ = camera_from_label(label)
    head_rotation = cam2world[:3, :3].T @ params.HEAD_TO_WORLD
    gaze = vector_to_pitchyaw(head_rotation @ pitchyaw_to_vector(gaze_head))
    return label, head_rotation, gaze, head_pose_from_rotation(head_rotation)


def _render_record(codes, illumination, gaze_head, camera_angles, resolution):
    """One record (schema keys, jnp) plus ``iris_mask`` (R, R) uint8 for checks."""
    code_names = ("shape_code", "texture_code", "expression_code")
    scene = params.build_scene(*(codes[k] for k in code_names), illumination, gaze_head)
    label, head_rotation, gaze, head_pose = _pose_labels(gaze_head, camera_angles)
    # Image and eye-patch rays go through one renderer call (one compiled copy).
    origins, directions = eg3d_rays(label, resolution)
    patch_origins, patch_directions = eye_patch_rays(scene, label)
    n = resolution * resolution
    rays = render_rays(
        scene,
        jnp.concatenate([origins, patch_origins]),
        jnp.concatenate([directions, patch_directions]),
    )
    images = jax.tree.map(lambda x: x[:n].reshape((resolution, resolution) + x.shape[1:]), rays)
    patches = eye_patches_from_rays(rays["rgb"][n:])
    return dict(
        image=_to_uint8(images["rgb"]),
        face_mask=images["face"].astype(jnp.uint8),
        left_eye_mask=images["left_eye"].astype(jnp.uint8),
        right_eye_mask=images["right_eye"].astype(jnp.uint8),
        depth=images["depth"],
        gaze=gaze,
        gaze_head=gaze_head,
        head_pose=head_pose,
        head_rotation=head_rotation,
        camera=label,
        illumination_code=illumination,
        left_eye_patch=_to_uint8(patches[0]),
        right_eye_patch=_to_uint8(patches[1]),
        left_eye_patch_gaze=gaze,
        right_eye_patch_gaze=gaze * MIRROR_YAW,
        iris_mask=images["iris"].astype(jnp.uint8),
        **codes,
    )


def _ids(identity, frame, view):
    as_int = lambda x: jnp.asarray(x, jnp.int32)  # noqa: E731
    return dict(identity=as_int(identity), frame=as_int(frame), view=as_int(view))


@functools.partial(jax.jit, static_argnames=("resolution", "one_light"))
def _render_one(seed_key, identity, frame, view, gaze_head, camera_angles, resolution, one_light=False):
    codes = params.identity_codes(seed_key, identity)
    # one_light: every frame of an identity lit as its frame 0 (only the gaze changes between frames)
    _, illumination = params.frame_draws(seed_key, identity, 0 if one_light else frame)
    out = _render_record(codes, illumination, gaze_head, camera_angles, resolution)
    return dict(out, **_ids(identity, frame, view))


def _render_many(seed_key, identities, frames, views, gaze_head, camera_angles, resolution, one_light=False):
    # One compiled program per resolution renders every record, one at a time:
    # a record's bytes cannot depend on its batch, and tests, notebooks and the
    # builder share a single compilation. Each image already has thousands of
    # rays in flight, so batching adds little; async dispatch overlaps calls.
    outs = [
        _render_one(seed_key, *args, resolution=resolution, one_light=one_light)
        for args in zip(identities, frames, views, gaze_head, camera_angles)
    ]
    return {k: np.stack([np.asarray(o[k]) for o in outs]) for k in outs[0]}


_draws = jax.jit(jax.vmap(params.record_draws, in_axes=(None, 0, 0, 0, None, None)))


@jax.jit
@functools.partial(jax.vmap, in_axes=(None, 0, 0, 0, None, None))
def _labels(seed_key, identity, frame, view, camera_gaze_share, gaze_spread):
    gaze_head, camera = params.record_draws(seed_key, identity, frame, view, camera_gaze_share, gaze_spread)
    label, _, gaze, head_pose = _pose_labels(gaze_head, camera)
    return dict(gaze=gaze, gaze_head=gaze_head, head_pose=head_pose, camera=label)


def _check_ids(name, values):
    values = np.asarray(values)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer) or (values < 0).any():
        raise ValueError(f"{name} must be a 1-D array of non-negative integers, got {values!r}")
    return values.astype(np.int32)


def records(seed, identities, frames, views, resolution, one_light=False, camera_gaze_share=0.0,
            gaze_spread=1.0):
    """Renders a batch of SynthGaze records.

    Args:
      seed: int; all randomness derives from ``jax.random.key(seed)``.
      identities, frames, views: (B,) non-negative ints.
      resolution: image side R, a multiple of 8 in 32..512.
      one_light: light every frame of an identity as its frame 0, so that
        two frames differ only in gaze (redirection pairs with one light).
      camera_gaze_share: probability in [0, 1] that a record's eyes look at
        its camera (FFHQ's portrait bias; drawn per record, so such a
        record's gaze depends on its view).
      gaze_spread: in (0, 1], scales the head-frame gaze draw (1: up to
        25 deg pitch and 35 deg yaw; portraits look roughly ahead).

    Returns:
      dict of numpy arrays with a leading batch axis B: the schema's keys
      (image (B,R,R,3) uint8, masks (B,R,R) uint8, depth (B,R,R) float32,
      gaze/gaze_head/head_pose (B,2), head_rotation (B,3,3), camera (B,25),
      codes, eye patches (B,64,64,3) uint8 and their gaze (B,2), ids (B,))
      plus ``iris_mask`` (B,R,R) uint8, which is not stored in the dataset.
    """
    check_resolution(resolution)
    ids = _check_id_arrays(identities, frames, views)
    key = jax.random.key(seed)
    check_camera_gaze_share(camera_gaze_share)
    check_gaze_spread(gaze_spread)
    gaze_head, camera_angles = (np.asarray(x) for x in _draws(key, *ids, camera_gaze_share, gaze_spread))
    return _render_many(key, *ids, gaze_head, camera_angles, resolution, one_light)


def _check_id_arrays(identities, frames, views):
    named = (("identities", identities), ("frames", frames), ("views", views))
    ids = [_check_ids(name, values) for name, values in named]
    if len({len(v) for v in ids}) != 1:
        raise ValueError("identities, frames and views must have the same length")
    return ids


def record_labels(seed, identities, frames, views, camera_gaze_share=0.0, gaze_spread=1.0):
    """The labels of :func:`records` without rendering (cheap; for statistics).

    Equal to the rendered records' labels up to float32 rounding.

    Returns dict of numpy arrays: gaze, gaze_head, head_pose (B, 2), camera (B, 25).
    """
    ids = _check_id_arrays(identities, frames, views)
    check_camera_gaze_share(camera_gaze_share)
    check_gaze_spread(gaze_spread)
    return jax.tree.map(np.asarray, _labels(jax.random.key(seed), *ids, camera_gaze_share, gaze_spread))


def controlled_records(seed, identities, gaze_head, camera_angles, resolution, frame=0):
    """Records with a chosen head-frame gaze and camera (sweeps, tests, demos).

    Args:
      seed: int, as in :func:`records` (identity codes and the frame's
        illumination come from it).
      identities: (B,) ints.
      gaze_head: (B, 2) head-frame (pitch, yaw) radians.
      camera_angles: (B, 2) camera orbit (yaw, pitch) radians, see
        :func:`gazejax.geometry.camera_label`.
      resolution: as in :func:`records`.
      frame: int whose illumination is used. ``view`` is reported as -1.
    """
    check_resolution(resolution)
    identities = _check_ids("identities", identities)
    gaze_head = np.asarray(gaze_head, np.float32)
    camera_angles = np.asarray(camera_angles, np.float32)
    batch = len(identities)
    if gaze_head.shape != (batch, 2) or camera_angles.shape != (batch, 2):
        raise ValueError(
            f"gaze_head and camera_angles must have shape ({batch}, 2), "
            f"got {gaze_head.shape} and {camera_angles.shape}"
        )
    frames = np.full(batch, frame, np.int32)
    views = np.full(batch, -1, np.int32)
    return _render_many(
        jax.random.key(seed), identities, frames, views, gaze_head, camera_angles, resolution
    )
