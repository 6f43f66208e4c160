"""Per-image latent offsets and camera deltas, and records -> model inputs.

GazeNeRF learns, for every training image, offsets added to its 3DMM codes
(identity, expression, appearance) and a camera delta (Euler angles,
translation), all zero-initialised and trained jointly with the network, as
the reference code does (paper Eq. 12 regularises them; docs/equations.md).
On SynthGaze the per-identity
parameter vectors play the role of the 3DMM codes:
shape = [``shape_code`` | ``expression_code``], appearance =
[``texture_code`` | ``illumination_code``].

An image's offset row (its "slot") is ``((identity % I) * F + frame % F) * V
+ view % V`` on a configured grid of I identities, F frames and V views.
"""

import jax.numpy as jnp

from gazejax.methods.gazenerf.camera import (
    apply_camera_delta,
    camera_from_eg3d_label,
    camera_from_h5,
)

CODE_KEYS = ("shape_code", "expression_code", "texture_code", "illumination_code")
OFFSET_KEYS = ("iden", "expr", "appea")
CAMERA_KEYS = ("delta_euler", "delta_t")


def init_offsets(num_slots, iden_dim, expr_dim, appea_dim):
    """Zero offsets: {'iden', 'expr', 'appea', 'delta_euler', 'delta_t'} each ``(num_slots, d)``."""
    dims = dict(iden=iden_dim, expr=expr_dim, appea=appea_dim, delta_euler=3, delta_t=3)
    return {k: jnp.zeros((num_slots, d), jnp.float32) for k, d in dims.items()}


def slot_index(record, identities, frames, views):
    """Offset row of each record ``(B,)`` int32 (see the module docstring)."""
    i, f, v = (jnp.asarray(record[k]).astype(jnp.int32) for k in ("identity", "frame", "view"))
    return ((i % identities) * frames + f % frames) * views + v % views


def gather(offsets, slots):
    """The rows ``slots`` ``(B,)`` of every offset table -> same keys, ``(B, d)``."""
    return {k: v[slots] for k, v in offsets.items()}


def record_camera(record, featmap_size, image_size):
    """(rotation, centre, inverse intrinsics) of a batch of records.

    SynthGaze records carry an EG3D ``camera`` label; GazeNeRF h5 records
    (:mod:`gazejax.data.gazenerf_h5`) carry ``c2w_rotation``/``c2w_translation``/
    ``intrinsics`` in pixels of ``image_size``.
    """
    if "c2w_rotation" in record:
        return camera_from_h5(record["c2w_rotation"], record["c2w_translation"],
                              record["intrinsics"], image_size, featmap_size)
    return camera_from_eg3d_label(record["camera"], featmap_size)


def model_inputs(record, rows, featmap_size, image_size, gaze=None, camera=None):
    """Positional inputs of :class:`~gazejax.methods.gazenerf.GazeNeRF` for a batch.

    Args:
      record: batch dict with the four codes ``(B, d)``, ``gaze_head`` and a camera.
      rows: this batch's offsets (:func:`gather`).
      featmap_size, image_size: the model's feature-map and output sizes.
      gaze: optional ``(B, 2)`` replacing ``record['gaze_head']`` (redirection).
      camera: optional (rotation, centre, inv K) replacing the record's camera.

    Returns:
      (shape_code, appearance_code, gaze, rotation, centre, inv_intrinsics).
    """
    shape = jnp.concatenate([record["shape_code"] + rows["iden"],
                             record["expression_code"] + rows["expr"]], -1)
    appearance = jnp.concatenate([record["texture_code"], record["illumination_code"]], -1)
    appearance = appearance + rows["appea"]
    rotation, centre, inv_k = camera if camera is not None else record_camera(
        record, featmap_size, image_size)
    rotation, centre = apply_camera_delta(rotation, centre, rows["delta_euler"], rows["delta_t"])
    gaze = record["gaze_head"] if gaze is None else gaze
    return shape, appearance, gaze, rotation, centre, inv_k


def offset_regularizer(rows, weights):
    """The reference's "disentanglement" loss: sum of ``weights[k] * mean(rows[k]^2)``.

    Paper Eq. 12 with z^0 the dataset codes (offsets are z - z^0); the
    camera deltas are regularised the same way (reference ``calc_cam_loss``).
    """
    return sum(weights[k] * jnp.mean(jnp.square(rows[k])) for k in weights)
