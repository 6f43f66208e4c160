"""Random codes per identity/frame/view and the scene they describe.

Randomness (all from one seed key, never from call order):
``k_id = fold_in(seed_key, identity)`` draws the shape, texture and expression
codes; ``k_frame = fold_in(fold_in(k_id, FRAME_STREAM), frame)`` draws the
head-frame gaze and the illumination (shared by every view of a frame, like
one capture of a camera rig); ``fold_in(fold_in(k_frame, VIEW_STREAM), view)``
draws the camera. Codes are uniform in [-1, 1]; :func:`build_scene` maps them
to geometry and colours with the numbers in :mod:`anatomy`.

Gaze model: both eyeballs rotate to the same direction (a target at
infinity), so the label -- the direction from the mid-point between the eyes
-- is exactly the direction of each eye.
"""

import flax.struct
import jax
import jax.numpy as jnp

from gazejax.data.synthgaze import anatomy as A
from gazejax.geometry import pitchyaw_to_vector, rotation_x

SHAPE_STREAM, TEXTURE_STREAM, EXPRESSION_STREAM, FRAME_STREAM = 0, 1, 2, 3
GAZE_STREAM, ILLUMINATION_STREAM, VIEW_STREAM = 0, 1, 2

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


def view_camera(seed_key, identity, frame, view):
    """Camera orbit angles (yaw, pitch) (2,) for one view, as gazejax.geometry.camera_label takes."""
    k_frame = _frame_key(seed_key, identity, frame)
    k_view = jax.random.fold_in(jax.random.fold_in(k_frame, VIEW_STREAM), view)
    return _uniform(k_view, 2) * jnp.array([A.CAMERA_YAW_MAX, A.CAMERA_PITCH_MAX], jnp.float32)


def _palette(colours, logits):
    weights = jax.nn.softmax(2.0 * logits)
    return weights @ jnp.asarray(colours, jnp.float32)


def build_scene(shape_code, texture_code, expression_code, illumination_code, gaze_head):
    """Codes + head-frame gaze (pitch, yaw) -> :class:`Scene`.

    Args:
      shape_code (S,), texture_code (T,), expression_code (E,),
      illumination_code (L,): values in [-1, 1] (see the per-entry comments).
      gaze_head: (2,) (pitch, yaw) radians in the head frame.
    """
    s, t, e, l = shape_code, texture_code, expression_code, illumination_code
    idx = A.PRIMITIVE_INDEX
    centres = jnp.asarray(A.SKIN_CENTRES)
    radii = jnp.asarray(A.SKIN_RADII)

    def edit(array, names, axis, value, scale=False):
        rows = jnp.array([idx[n] for n in names])
        if scale:
            return array.at[rows, axis].multiply(value)
        return array.at[rows, axis].add(value)

    radii = edit(radii, ["jaw", "chin"], 0, 1.0 + 0.1 * s[3], scale=True)  # jaw width
    centres = edit(centres, ["jaw", "chin", "upper_lip", "lower_lip"], 1, -0.02 * s[4])  # jaw length
    radii = edit(radii, ["nose"], 1, 1.0 + 0.15 * s[5], scale=True)  # nose length
    centres = edit(centres, ["nose", "nose_tip"], 2, 0.012 * s[6])  # nose protrusion
    radii = edit(radii, ["nose", "nose_tip"], 0, 1.0 + 0.2 * s[7], scale=True)  # nose width
    centres = edit(centres, ["brow"], 2, 0.01 * s[11])  # brow prominence
    radii = edit(radii, ["upper_lip", "lower_lip"], 0, 1.0 + 0.12 * e[2], scale=True)  # mouth width

    eye_left = jnp.asarray(A.EYE_CENTRE_LEFT, jnp.float32) + jnp.array(
        [0.008 * s[8], 0.01 * s[9], 0.0]  # eye spacing, eye height
    )
    eyes = jnp.stack([eye_left, eye_left * jnp.array([-1.0, 1.0, 1.0])])
    eyeball_radius = A.EYEBALL_RADIUS * (1.0 + 0.06 * s[10])

    # Overall head size; applied last so every feature keeps its place.
    head_scale = 1.0 + jnp.array([0.07, 0.05, 0.05]) * s[:3]
    centres, radii, eyes = centres * head_scale, radii * head_scale, eyes * head_scale
    eyeball_radius = eyeball_radius * jnp.mean(head_scale)
    rotations = rotation_x(jnp.asarray(A.SKIN_TILTS))

    pitch = gaze_head[0]
    upper = A.UPPER_LID + 0.06 * e[0] + A.UPPER_LID_FOLLOW * pitch
    lower = A.LOWER_LID - 0.03 * e[0] + A.LOWER_LID_FOLLOW * pitch
    upper = jnp.maximum(upper, A.MIN_OPENING)
    lower = jnp.minimum(lower, -A.MIN_OPENING)
    gaze = HEAD_TO_WORLD @ pitchyaw_to_vector(gaze_head)

    lips = idx["upper_lip"], idx["lower_lip"]
    mouth_y = 0.5 * (centres[lips[0], 1] + centres[lips[1], 1])

    tone = 0.5 * (t[0] + 1.0)
    skin = (1 - tone) * jnp.array(A.SKIN_LIGHT) + tone * jnp.array(A.SKIN_DARK)
    skin = jnp.clip(skin + 0.04 * t[1] * jnp.array([1.0, -0.3, -0.5]), 0.0, 1.0)
    iris = _palette(A.IRIS_PALETTE, jnp.stack([t[2], t[3], -t[2] - t[3]])) * (1 + 0.25 * t[4])
    hair = _palette(A.HAIR_PALETTE, jnp.stack([t[5], t[6], -t[5] - t[6]])) * (1 + 0.2 * t[7])
    lip_mix = 0.45 + 0.2 * t[8]
    lip = (1 - lip_mix) * skin + lip_mix * jnp.array(A.LIP_TINT)

    azimuth, elevation = 1.05 * l[0], 0.5 + 0.35 * l[1]
    light_dir = jnp.stack(
        [jnp.sin(azimuth) * jnp.cos(elevation), jnp.sin(elevation), jnp.cos(azimuth) * jnp.cos(elevation)]
    )
    warmth = 0.12 * l[2]
    light_colour = (1.05 + 0.2 * l[3]) * jnp.stack([1 + warmth, jnp.ones(()), 1 - warmth])

    return Scene(
        skin_centres=centres,
        skin_radii=radii,
        skin_rotations=rotations,
        skin_materials=jnp.asarray(A.SKIN_MATERIALS),
        head_scale=head_scale,
        eye_centres=eyes,
        eyeball_radius=eyeball_radius,
        lid_radius=eyeball_radius * A.LID_RADIUS_RATIO,
        opening_centre=A.OPENING_CENTRE + 0.05 * e[1],
        upper_lid=upper,
        lower_lid=lower,
        gaze=gaze,
        mouth_y=mouth_y,
        brow_raise=0.01 * e[3],
        brow_thickness=A.BROW_THICKNESS * (1.0 + 0.3 * t[11]),
        skin_albedo=skin,
        lip_albedo=lip,
        hair_albedo=jnp.clip(hair, 0.0, 1.0),
        iris_albedo=jnp.clip(iris, 0.0, 1.0),
        iris_frequency=jnp.round(14.0 + 6.0 * t[9]),
        iris_phase=jnp.pi * t[10],
        light_dir=light_dir,
        light_colour=light_colour,
        ambient=0.35 + 0.1 * l[4],
        background_top=0.5 + 0.4 * l[5:8],
        background_bottom=0.5 + 0.4 * l[8:11],
    )
