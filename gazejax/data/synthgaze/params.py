"""Random codes per identity/frame/view and the scene they describe.

Randomness (all from one seed key, never from call order):
``k_id = fold_in(seed_key, identity)`` draws the shape, texture and expression
codes; ``k_frame = fold_in(fold_in(k_id, FRAME_STREAM), frame)`` draws the
head-frame gaze and the illumination (shared by every view of a frame, like
one capture of a camera rig); ``fold_in(fold_in(k_id, VIEW_STREAM), view)``
draws the camera, so -- as with ETH-XGaze's fixed rig -- a view is the same
camera in every frame of an identity and same-view pairs share the camera.
With a ``camera_gaze_share`` above 0, ``fold_in(fold_in(k_frame,
CAMERA_GAZE_STREAM), view)`` decides whether a record's eyes look at its camera
instead (FFHQ portraits' bias: people look into the lens), so such records'
gaze depends on the view. A ``gaze_spread`` below 1 narrows the head-frame
gaze draw around straight ahead (portraits: people look roughly where their
face points). Codes are uniform in [-1, 1]; :func:`build_scene` maps them
to geometry and colours with the numbers in :mod:`anatomy`.

Gaze model: both eyeballs rotate to the same direction (a target at
infinity), so the label -- the direction from the mid-point between the eyes
-- is exactly the direction of each eye.
"""

import flax.struct
import jax
import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A
from gazejax.geometry import (
    camera_from_label,
    camera_label,
    pitchyaw_to_vector,
    rotation_x,
    vector_to_pitchyaw,
)

SHAPE_STREAM, TEXTURE_STREAM, EXPRESSION_STREAM, FRAME_STREAM, VIEW_STREAM = 0, 1, 2, 3, 4
GAZE_STREAM, ILLUMINATION_STREAM, CAMERA_GAZE_STREAM = 0, 1, 2

# Head frame -> world (EG3D) frame: a frontal face has head x = world x,
# head y (down) = world -y, head z (into the head) = world -z.
HEAD_TO_WORLD = jnp.diag(jnp.array([1.0, -1.0, -1.0]))


@flax.struct.dataclass
class Scene:
    """Everything the ray caster and shader need for one sample (world frame).

    Shapes: P skin ellipsoids, 2 eyes (index 0 = subject's left, world +x).
    """

    skin_centres: jax.Array  # (P, 3)
    skin_radii: jax.Array  # (P, 3)
    skin_rotations: jax.Array  # (P, 3, 3) world <- ellipsoid frame
    skin_materials: jax.Array  # (P,) int: anatomy.SKIN / LIPS / HAIR_CAP
    head_scale: jax.Array  # (3,) per-axis head scale (hairline is set before it)
    eye_centres: jax.Array  # (2, 3)
    eyeball_radius: jax.Array  # ()
    lid_radius: jax.Array  # ()
    opening_centre: jax.Array  # () temporal azimuth of the opening centre
    upper_lid: jax.Array  # () elevation of the upper lid apex (follows gaze pitch)
    lower_lid: jax.Array  # () elevation of the lower lid apex
    gaze: jax.Array  # (3,) unit gaze direction of both eyes, world frame
    mouth_y: jax.Array  # () height of the line between the lips
    brow_raise: jax.Array  # () eyebrow offset
    brow_thickness: jax.Array  # ()
    skin_albedo: jax.Array  # (3,)
    lip_albedo: jax.Array  # (3,)
    hair_albedo: jax.Array  # (3,)
    iris_albedo: jax.Array  # (3,)
    iris_frequency: jax.Array  # () number of radial iris streaks
    iris_phase: jax.Array  # ()
    light_dir: jax.Array  # (3,) unit vector toward the light, world frame
    light_colour: jax.Array  # (3,)
    ambient: jax.Array  # ()
    background_top: jax.Array  # (3,)
    background_bottom: jax.Array  # (3,)


def _uniform(key, n):
    return jax.random.uniform(key, (n,), jnp.float32, -1.0, 1.0)


def identity_codes(seed_key, identity):
    """Per-identity codes: dict shape_code (S,), texture_code (T,), expression_code (E,)."""
    k_id = jax.random.fold_in(seed_key, identity)
    return dict(
        shape_code=_uniform(jax.random.fold_in(k_id, SHAPE_STREAM), A.SHAPE_DIM),
        texture_code=_uniform(jax.random.fold_in(k_id, TEXTURE_STREAM), A.TEXTURE_DIM),
        expression_code=_uniform(jax.random.fold_in(k_id, EXPRESSION_STREAM), A.EXPRESSION_DIM),
    )


def _frame_key(seed_key, identity, frame):
    k_id = jax.random.fold_in(seed_key, identity)
    return jax.random.fold_in(jax.random.fold_in(k_id, FRAME_STREAM), frame)


def frame_draws(seed_key, identity, frame):
    """Per-frame draws: head-frame gaze (pitch, yaw) (2,) and illumination_code (L,)."""
    k_frame = _frame_key(seed_key, identity, frame)
    u = _uniform(jax.random.fold_in(k_frame, GAZE_STREAM), 2)
    gaze_head = u * jnp.array([A.GAZE_PITCH_MAX, A.GAZE_YAW_MAX], jnp.float32)
    illumination = _uniform(jax.random.fold_in(k_frame, ILLUMINATION_STREAM), A.ILLUMINATION_DIM)
    return gaze_head, illumination


def view_camera(seed_key, identity, view):
    """Camera orbit (yaw, pitch) (2,) of one view of an identity (the same in every frame)."""
    k_id = jax.random.fold_in(seed_key, identity)
    k_view = jax.random.fold_in(jax.random.fold_in(k_id, VIEW_STREAM), view)
    return _uniform(k_view, 2) * jnp.array([A.CAMERA_YAW_MAX, A.CAMERA_PITCH_MAX], jnp.float32)


def camera_facing_gaze(shape_code, camera_angles):
    """Head-frame gaze (pitch, yaw) (2,) from the mid-point between the eyes to the camera.

    Args:
      shape_code: (S,) the identity's shape code (it moves the eyes).
      camera_angles: (2,) camera orbit (yaw, pitch) radians, as :func:`view_camera`.
    """
    cam2world, _ = camera_from_label(camera_label(camera_angles[0], camera_angles[1]))
    to_camera = cam2world[:3, 3] - eye_centres(shape_code).mean(0)
    return vector_to_pitchyaw(HEAD_TO_WORLD.T @ (to_camera / jnp.linalg.norm(to_camera)))


def record_draws(seed_key, identity, frame, view, camera_gaze_share=0.0, gaze_spread=1.0):
    """Head-frame gaze (2,) and camera orbit (yaw, pitch) (2,) of one record.

    The gaze is the frame's draw scaled by ``gaze_spread``, or -- with
    probability ``camera_gaze_share``, drawn per record -- the gaze that looks
    at the record's camera.
    """
    gaze_head, _ = frame_draws(seed_key, identity, frame)
    gaze_head = gaze_head * gaze_spread
    camera_angles = view_camera(seed_key, identity, view)
    k_frame = _frame_key(seed_key, identity, frame)
    k_record = jax.random.fold_in(jax.random.fold_in(k_frame, CAMERA_GAZE_STREAM), view)
    at_camera = jax.random.uniform(k_record) < camera_gaze_share
    shape_code = identity_codes(seed_key, identity)["shape_code"]
    gaze_head = jnp.where(at_camera, camera_facing_gaze(shape_code, camera_angles), gaze_head)
    return gaze_head, camera_angles


def _span(mid_spread, code):
    mid, spread = mid_spread
    return mid + spread * code


def _palette(colours, logits):
    weights = jax.nn.softmax(A.PALETTE_SHARPNESS * logits)
    return weights @ jnp.asarray(colours, jnp.float32)


def _edit_primitives(shape_code, expression_code):
    """Skin ellipsoid centres and radii (P, 3) after :data:`anatomy.PRIMITIVE_EDITS`."""
    arrays = dict(centres=jnp.asarray(A.SKIN_CENTRES), radii=jnp.asarray(A.SKIN_RADII))
    codes = {A.SHAPE: shape_code, A.EXPRESSION: expression_code}
    for kind, entry, names, field, axis, amount, mode in A.PRIMITIVE_EDITS:
        rows = jnp.array([A.PRIMITIVE_INDEX[n] for n in names])
        value = amount * codes[kind][entry]
        target = arrays[field].at[rows, axis]
        arrays[field] = target.multiply(1.0 + value) if mode == "scale" else target.add(value)
    return arrays["centres"], arrays["radii"]


def _head_scale(shape_code):
    # Overall head size; applied last so every feature keeps its place.
    return 1.0 + jnp.asarray(A.HEAD_SCALE_SPREAD) * shape_code[:3]


def eye_centres(shape_code):
    """Eyeball centres (2, 3), world frame (index 0 = subject's left, world +x)."""
    s = shape_code
    offset = jnp.stack([A.EYE_SPACING_SPREAD * s[8], A.EYE_HEIGHT_SPREAD * s[9], jnp.zeros(())])
    eye_left = jnp.asarray(A.EYE_CENTRE_LEFT, jnp.float32) + offset
    return jnp.stack([eye_left, eye_left * jnp.array([-1.0, 1.0, 1.0])]) * _head_scale(s)


def build_scene(shape_code, texture_code, expression_code, illumination_code, gaze_head):
    """Codes + head-frame gaze (pitch, yaw) -> :class:`Scene`.

    Args:
      shape_code (S,), texture_code (T,), expression_code (E,),
      illumination_code (L,): values in [-1, 1]; what each entry does is
        listed beside its number in :mod:`anatomy`.
      gaze_head: (2,) (pitch, yaw) radians in the head frame.
    """
    s, t, e, l = shape_code, texture_code, expression_code, illumination_code
    centres, radii = _edit_primitives(s, e)
    head_scale = _head_scale(s)
    centres, radii, eyes = centres * head_scale, radii * head_scale, eye_centres(s)
    eyeball_radius = A.EYEBALL_RADIUS * (1.0 + A.EYEBALL_SIZE_SPREAD * s[10]) * jnp.mean(head_scale)

    # The lids follow the gaze pitch relative to the head (looking down lowers the upper lid).
    pitch = gaze_head[0]
    upper_open, lower_open = A.LID_OPENNESS_SPREAD
    upper = A.UPPER_LID + upper_open * e[0] + A.UPPER_LID_FOLLOW * pitch
    lower = A.LOWER_LID + lower_open * e[0] + A.LOWER_LID_FOLLOW * pitch

    lips = A.PRIMITIVE_INDEX["upper_lip"], A.PRIMITIVE_INDEX["lower_lip"]
    tone = 0.5 * (t[0] + 1.0)
    skin = (1 - tone) * jnp.array(A.SKIN_LIGHT) + tone * jnp.array(A.SKIN_DARK)
    tint, tint_direction = A.SKIN_TINT
    skin = jnp.clip(skin + tint * t[1] * jnp.array(tint_direction), 0.0, 1.0)
    iris = _palette(A.IRIS_PALETTE, jnp.stack([t[2], t[3], -t[2] - t[3]]))
    hair = _palette(A.HAIR_PALETTE, jnp.stack([t[5], t[6], -t[5] - t[6]]))
    lip_mix = _span(A.LIP_MIX, t[8])

    azimuth = A.LIGHT_AZIMUTH_SPREAD * l[0]
    elevation = _span(A.LIGHT_ELEVATION, l[1])
    ce = jnp.cos(elevation)
    warmth = A.LIGHT_WARMTH_SPREAD * l[2]
    warm_rgb = jnp.stack([1 + warmth, jnp.ones(()), 1 - warmth])

    return Scene(
        skin_centres=centres,
        skin_radii=radii,
        skin_rotations=rotation_x(jnp.asarray(A.SKIN_TILTS)),
        skin_materials=jnp.asarray(A.SKIN_MATERIALS),
        head_scale=head_scale,
        eye_centres=eyes,
        eyeball_radius=eyeball_radius,
        lid_radius=eyeball_radius * A.LID_RADIUS_RATIO,
        opening_centre=A.OPENING_CENTRE + A.OPENING_TILT_SPREAD * e[1],
        upper_lid=jnp.maximum(upper, A.MIN_OPENING),
        lower_lid=jnp.minimum(lower, -A.MIN_OPENING),
        gaze=HEAD_TO_WORLD @ pitchyaw_to_vector(gaze_head),
        mouth_y=0.5 * (centres[lips[0], 1] + centres[lips[1], 1]),
        brow_raise=A.BROW_RAISE_SPREAD * e[3],
        brow_thickness=A.BROW_THICKNESS * (1.0 + A.BROW_THICKNESS_SPREAD * t[11]),
        skin_albedo=skin,
        lip_albedo=(1 - lip_mix) * skin + lip_mix * jnp.array(A.LIP_TINT),
        hair_albedo=jnp.clip(hair * (1 + A.HAIR_BRIGHTNESS_SPREAD * t[7]), 0.0, 1.0),
        iris_albedo=jnp.clip(iris * (1 + A.IRIS_BRIGHTNESS_SPREAD * t[4]), 0.0, 1.0),
        iris_frequency=jnp.round(_span(A.IRIS_STREAKS, t[9])),
        iris_phase=jnp.pi * t[10],
        light_dir=jnp.stack([jnp.sin(azimuth) * ce, jnp.sin(elevation), jnp.cos(azimuth) * ce]),
        light_colour=_span(A.LIGHT_INTENSITY, l[3]) * warm_rgb,
        ambient=_span(A.AMBIENT, l[4]),
        background_top=_span(A.BACKGROUND, l[5:8]),
        background_bottom=_span(A.BACKGROUND, l[8:11]),
    )
