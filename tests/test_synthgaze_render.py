"""SynthGaze ground truth checked against geometry, not against itself.

One contact-sheet row (gaze sweeps with a frontal camera, then camera sweeps)
is rendered once at 64^2; every test reads it.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.data.synthgaze import anatomy, params
from gazejax.data.synthgaze.contact_sheet import SWEEP_STEPS, sweep_columns
from gazejax.data.synthgaze.sample import controlled_records
from gazejax.geometry import angular_error, camera_from_label, eg3d_rays, pitchyaw_to_vector

R = 64
YAW_SWEEP = slice(0, SWEEP_STEPS)
PITCH_SWEEP = slice(SWEEP_STEPS, 2 * SWEEP_STEPS)


@pytest.fixture(scope="module")
def row():
    gaze, camera = sweep_columns()
    out = controlled_records(0, np.full(len(gaze), 3), gaze, camera, R)
    # The scenes are rebuilt from the codes each record carries.
    codes = [out[k] for k in ("shape_code", "texture_code", "expression_code", "illumination_code")]
    scenes = jax.jit(jax.vmap(params.build_scene))(*codes, out["gaze_head"])
    return dict(out, gaze_head_in=gaze, camera_in=camera, scenes=jax.tree.map(np.asarray, scenes))


def _scene(row, i):
    return jax.tree.map(lambda x: x[i], row["scenes"])


def _solid_values(scene, points):
    """Signed distance bounds (N, P + 4) to every skin ellipsoid, both lid
    balls and both eyeballs (world units, negative inside; exact for spheres,
    within the ellipsoid's radius ratio otherwise)."""
    s = scene
    local = np.einsum("pji,npj->npi", s.skin_rotations, points[:, None] - s.skin_centres)
    ellipsoids = (np.linalg.norm(local / s.skin_radii, axis=-1) - 1.0) * s.skin_radii.max(-1)
    centre_distance = np.linalg.norm(points[:, None] - s.eye_centres, axis=-1)
    return np.concatenate(
        [ellipsoids, centre_distance - s.lid_radius, centre_distance - s.eyeball_radius], -1
    )


def test_depth_is_the_analytic_ray_surface_distance(row):
    # Extreme gazes, the frontal view and the four extreme cameras.
    for i in (0, 2, 4, 5, 9, 10, 14, 15, 19):
        scene = _scene(row, i)
        origins, dirs = (np.asarray(x) for x in eg3d_rays(row["camera"][i], R))
        depth = row["depth"][i].reshape(-1)
        face = row["face_mask"][i].reshape(-1) == 1
        eyes = (row["left_eye_mask"][i] | row["right_eye_mask"][i]).reshape(-1) == 1
        assert np.all(depth[~face] == 0.0) and np.all(depth[face] > 1.5)
        points = origins + depth[:, None] * dirs

        # Every head pixel's point lies on a primitive's surface ...
        on_surface = np.abs(_solid_values(scene, points[face])).min(-1)
        assert on_surface.max() < 1e-5
        # ... eye pixels exactly on their eyeball sphere ...
        for e, mask in enumerate(["left_eye_mask", "right_eye_mask"]):
            m = row[mask][i].reshape(-1) == 1
            radius = np.linalg.norm(points[m] - scene.eye_centres[e], axis=-1)
            np.testing.assert_allclose(radius, scene.eyeball_radius, atol=1e-5)
        # ... and nothing solid comes before it (brute force along the ray).
        skin = face & ~eyes
        fractions = np.linspace(0.0, 1.0, 32, endpoint=False)
        t = depth[skin][:, None] * fractions - 1e-4
        before = origins[skin][:, None] + t[..., None] * dirs[skin][:, None]
        assert _solid_values(scene, before.reshape(-1, 3)).min() > -1e-5
        # Background rays never enter a solid.
        t = np.linspace(1.5, 4.0, 32)
        along = origins[~face][:, None] + t[:, None] * dirs[~face][:, None]
        assert _solid_values(scene, along.reshape(-1, 3)).min() > 0.0


def test_positive_yaw_moves_the_iris_to_image_left_as_the_label_predicts(row):
    observed, predicted = [], []
    for i in range(*YAW_SWEEP.indices(len(row["image"]))):
        scene = _scene(row, i)
        iris = (row["iris_mask"][i] & row["left_eye_mask"][i]).astype(bool)
        observed.append(np.nonzero(iris)[1].mean() + 0.5)
        # Where the iris centre must project: eye centre + radius * gaze, with the
        # camera-frame gaze label turned into a vector by the geometry module.
        cam2world, k = camera_from_label(row["camera"][i])
        centre = (scene.eye_centres[0] - cam2world[:3, 3]) @ cam2world[:3, :3]
        cap = centre + scene.eyeball_radius * pitchyaw_to_vector(row["gaze"][i])
        predicted.append(float((k[0, 0] * cap[0] / cap[2] + k[0, 2]) * R))
    observed, predicted = np.array(observed), np.array(predicted)
    yaws = row["gaze_head_in"][YAW_SWEEP, 1]
    assert np.all(np.diff(yaws) > 0)
    assert np.all(np.diff(predicted) < 0) and np.all(np.diff(observed) < 0)
    np.testing.assert_allclose(observed, predicted, atol=1.0)


def test_eye_masks_contain_the_iris_and_lids_follow_pitch(row):
    eyes = row["left_eye_mask"] | row["right_eye_mask"]
    assert row["iris_mask"].sum() > 0
    assert np.all(row["iris_mask"] <= eyes)
    opening = eyes[PITCH_SWEEP].sum((1, 2))
    pitches = row["gaze_head_in"][PITCH_SWEEP, 0]
    assert np.all(np.diff(pitches) > 0)
    # Looking down lowers the upper lid: the visible eye grows with pitch.
    assert np.all(np.diff(opening) >= 0) and opening[-1] > 1.3 * opening[0]
    # At the extreme downward gaze the upper lid hides part of the iris.
    iris = row["iris_mask"][PITCH_SWEEP].sum((1, 2))
    assert iris[0] < iris[SWEEP_STEPS // 2]


def test_head_pose_and_gaze_frames_match_the_camera(row):
    frontal = np.all(row["camera_in"] == 0.0, axis=-1)
    np.testing.assert_allclose(row["head_pose"][frontal], 0.0, atol=1e-5)
    np.testing.assert_allclose(row["gaze"][frontal], row["gaze_head"][frontal], atol=1e-5)
    # The face looks along world +z; seen from a camera at orbit (yaw, pitch)
    # the head pose is that far from frontal.
    yaw, pitch = row["camera_in"][:, 0], row["camera_in"][:, 1]
    expected = np.degrees(np.arccos(np.cos(yaw) * np.cos(pitch)))
    got = angular_error(row["head_pose"], jnp.zeros_like(row["head_pose"]))
    np.testing.assert_allclose(got, expected, atol=1e-2)
    # Gaze and head pose rotate together: their angle is frame-independent.
    between = angular_error(row["gaze"], row["head_pose"])
    np.testing.assert_allclose(between, angular_error(row["gaze_head"], jnp.zeros(2)), atol=1e-2)


def test_eye_patches_show_each_eye_and_the_mirrored_label(row):
    np.testing.assert_allclose(row["left_eye_patch_gaze"], row["gaze"])
    np.testing.assert_allclose(row["right_eye_patch_gaze"], row["gaze"] * [1.0, -1.0])
    p = anatomy.EYE_PATCH_SIZE
    # The patch centre is inside the eye opening: dark iris/pupil or bright
    # sclera, unlike the skin-coloured border of the patch.
    for patch in (row["left_eye_patch"], row["right_eye_patch"]):
        assert patch.shape == (len(row["image"]), p, p, 3)
        centre = patch[:, p // 2 - 4 : p // 2 + 4, p // 4 : 3 * p // 4].astype(float)
        border = patch[:, :4].astype(float)
        assert np.all(np.abs(centre.mean((1, 2)) - border.mean((1, 2))).max(-1) > 10)
