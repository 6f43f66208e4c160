"""Conventions of gazejax.geometry, checked against values derived by hand."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax import geometry as geo


@pytest.mark.parametrize(
    "pitchyaw, vector",
    [
        ((0.0, 0.0), (0.0, 0.0, -1.0)),  # straight into the camera
        ((math.pi / 2, 0.0), (0.0, -1.0, 0.0)),  # up is -y in OpenCV
        ((0.0, math.pi / 2), (-1.0, 0.0, 0.0)),  # positive yaw looks toward image left
        ((0.0, -math.pi / 2), (1.0, 0.0, 0.0)),
        ((math.pi / 4, 0.0), (0.0, -math.sqrt(0.5), -math.sqrt(0.5))),
    ],
)
def test_pitchyaw_vector_known_values(pitchyaw, vector):
    np.testing.assert_allclose(geo.pitchyaw_to_vector(jnp.array(pitchyaw)), vector, atol=1e-6)
    if abs(pitchyaw[0]) < math.pi / 2:
        np.testing.assert_allclose(geo.vector_to_pitchyaw(jnp.array(vector)), pitchyaw, atol=1e-6)


def test_pitchyaw_roundtrip_batched():
    py = jax.random.uniform(jax.random.key(0), (5, 7, 2), minval=-1.2, maxval=1.2)
    back = geo.vector_to_pitchyaw(3.0 * geo.pitchyaw_to_vector(py))
    np.testing.assert_allclose(back, py, atol=1e-5)


def test_angular_error():
    assert float(geo.angular_error(jnp.zeros(2), jnp.array([0.0, math.radians(10)]))) == pytest.approx(10.0, abs=1e-4)
    assert float(geo.angular_error(jnp.array([math.radians(20), 0.0]), jnp.zeros(2))) == pytest.approx(20.0, abs=1e-4)
    assert float(geo.angular_error(jnp.array([0.3, -0.2]), jnp.array([0.3, -0.2]))) == pytest.approx(0.0, abs=1e-4)
    grad = jax.grad(lambda a: geo.angular_error(a, jnp.array([0.1, 0.2])))(jnp.array([0.1, 0.25]))
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    at_zero = jax.grad(lambda a: geo.angular_error(a, jnp.array([0.1, 0.2])))(jnp.array([0.1, 0.2]))
    assert np.all(np.isfinite(at_zero))


def test_gaze_rotation_is_ry_times_rx():
    p, y = 0.3, -0.5
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    np.testing.assert_allclose(geo.gaze_rotation(p, y), ry @ rx, atol=1e-6)
    r = geo.gaze_rotation(jnp.array([0.1, 0.2]), jnp.array([0.3, 0.4]))
    np.testing.assert_allclose(r @ jnp.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-6)


def test_head_pose_and_head_frame_gaze():
    assert np.allclose(geo.head_pose_from_rotation(jnp.eye(3)), 0.0, atol=1e-7)
    # Head turned by +0.4 rad about the camera y axis: its facing
    # direction is the gaze vector of (0, 0.4), so the pose reads (0, 0.4).
    r = geo.rotation_y(jnp.array(0.4))
    facing = r @ jnp.array([0.0, 0.0, -1.0])
    np.testing.assert_allclose(facing, geo.pitchyaw_to_vector(jnp.array([0.0, 0.4])), atol=1e-6)
    np.testing.assert_allclose(geo.head_pose_from_rotation(r), [0.0, 0.4], atol=1e-6)
    # Eyes aligned with that head read (0, 0) in the head frame.
    np.testing.assert_allclose(geo.gaze_in_head_frame(jnp.array([0.0, 0.4]), r), [0.0, 0.0], atol=1e-6)


def _eg3d_lookat_origin(h, v, r=2.7):
    """EG3D's LookAtPoseSampler origin, written from its documented formula."""
    v = min(max(v, 1e-5), math.pi - 1e-5)
    phi = math.acos(1 - 2 * v / math.pi)
    return r * np.array(
        [math.sin(phi) * math.cos(math.pi - h), math.cos(phi), math.sin(phi) * math.sin(math.pi - h)]
    )


def test_camera_label_frontal_matches_eg3d():
    label = np.asarray(geo.camera_label(0.0, 0.0))
    c2w, k = geo.camera_from_label(label)
    np.testing.assert_allclose(c2w[:3, :3], np.diag([1.0, -1.0, -1.0]), atol=1e-6)
    np.testing.assert_allclose(c2w[:3, 3], [0.0, 0.0, 2.7], atol=1e-6)
    np.testing.assert_allclose(k, [[4.2647, 0, 0.5], [0, 4.2647, 0.5], [0, 0, 1]], atol=1e-6)


@pytest.mark.parametrize("h, v", [(math.pi / 2 + 0.4, math.pi / 2 - 0.2), (math.pi / 2 - 0.4, math.pi / 2 + 0.3)])
def test_camera_label_from_eg3d_sampler_angles(h, v):
    yaw, pitch = np.asarray(geo.from_eg3d_sampler_angles(h, v))
    label = geo.camera_label(yaw, pitch)
    c2w, _ = geo.camera_from_label(label)
    origin = _eg3d_lookat_origin(h, v)
    np.testing.assert_allclose(c2w[:3, 3], origin, atol=1e-5)
    forward = -origin / np.linalg.norm(origin)
    np.testing.assert_allclose(c2w[:3, 2], forward, atol=1e-5)
    np.testing.assert_allclose(geo.camera_angles(label), [yaw, pitch], atol=1e-5)


def test_camera_positive_yaw_moves_toward_world_x_and_pitch_up():
    c2w, _ = geo.camera_from_label(geo.camera_label(0.5, 0.3))
    assert c2w[0, 3] > 0 and c2w[1, 3] > 0
    # OpenCV axes survive the move: the camera's y (down) axis still points
    # mostly along world -y (world +y is up).
    assert c2w[1, 1] < 0


def test_camera_label_rejects_wrong_size():
    with pytest.raises(ValueError, match="25 numbers"):
        geo.camera_from_label(jnp.zeros(16))


def test_eg3d_rays_pixel_centres():
    res = 8
    label = geo.camera_label(0.2, -0.1)
    origins, dirs = geo.eg3d_rays(label, res)
    assert origins.shape == (res * res, 3) and dirs.shape == (res * res, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=-1), 1.0, atol=1e-6)
    c2w, k = (np.asarray(a) for a in geo.camera_from_label(label))
    # Project each ray's point at depth 1 back into the image: pixel centres.
    pts = origins + dirs
    cam = (pts - c2w[:3, 3]) @ c2w[:3, :3]
    uv = cam[:, :2] / cam[:, 2:] * k[0, 0] + 0.5
    rows, cols = np.divmod(np.arange(res * res), res)
    np.testing.assert_allclose(uv[:, 0], (cols + 0.5) / res, atol=1e-5)
    np.testing.assert_allclose(uv[:, 1], (rows + 0.5) / res, atol=1e-5)
    # The centre ray of an even-sized image passes near the look-at point.
    centre_dir = dirs.reshape(res, res, 3)[res // 2 - 1 : res // 2 + 1, res // 2 - 1 : res // 2 + 1].mean((0, 1))
    np.testing.assert_allclose(centre_dir / np.linalg.norm(centre_dir), -c2w[:3, 3] / 2.7, atol=1e-5)


def test_normalization_maps_face_centre_to_image_centre():
    k = jnp.array([[1200.0, 0, 640.0], [0, 1200.0, 360.0], [0, 0, 1]])
    head = geo.rotation_y(jnp.array(0.3)) @ geo.rotation_x(jnp.array(-0.2))
    centre = jnp.array([80.0, -40.0, 900.0])
    norm = geo.normalize_face(k, head, centre, focal=960.0, distance=600.0, size=224)
    pix = k @ centre
    mapped = norm.warp @ (pix / pix[2])
    np.testing.assert_allclose(mapped[:2] / mapped[2], [112.0, 112.0], atol=1e-3)
    # In the normalized camera the face centre lies on the optical axis at d_n.
    np.testing.assert_allclose(norm.scale @ norm.rotation @ centre, [0.0, 0.0, 600.0], atol=1e-2)
    # The normalized head has no roll: its x axis has no vertical component.
    assert abs(float(norm.head_rotation(head)[1, 0])) < 1e-6
    # Gaze toward the face centre's direction from the camera reads as looking
    # straight away from it: the camera-to-face direction maps to +z.
    toward_camera = geo.vector_to_pitchyaw(-centre)
    np.testing.assert_allclose(norm.gaze(toward_camera), [0.0, 0.0], atol=1e-5)


def test_normalization_warp_image_moves_face_to_centre():
    k = jnp.array([[100.0, 0, 32.0], [0, 100.0, 32.0], [0, 0, 1]])
    centre = jnp.array([10.0, 5.0, 100.0])  # projects to pixel (42, 37)
    image = np.zeros((64, 64, 1), np.float32)
    image[36:39, 41:44] = 1.0
    norm = geo.normalize_face(k, jnp.eye(3), centre, focal=100.0, distance=100.0, size=32)
    out = np.asarray(norm.warp_image(jnp.asarray(image)))[..., 0]
    ys, xs = np.nonzero(out > 0.5)
    assert abs(ys.mean() - 16) <= 1.0 and abs(xs.mean() - 16) <= 1.0


def test_from_l2cs_order_and_units():
    np.testing.assert_allclose(geo.from_l2cs(10.0, -20.0), [math.radians(-20), math.radians(10)], atol=1e-6)
    np.testing.assert_allclose(geo.from_l2cs(0.1, 0.2, degrees=False), [0.2, 0.1], atol=1e-7)


def test_gazenerf_pitch_flip():
    # GazeNeRF: pitch = asin(+g_y). A gaze looking up has g_y < 0: GazeNeRF reads it negative.
    ours = jnp.array([0.3, -0.1])
    g = geo.pitchyaw_to_vector(ours)
    gazenerf = jnp.array([jnp.arcsin(g[1]), jnp.arctan2(-g[0], -g[2])])
    np.testing.assert_allclose(geo.to_gazenerf(ours), gazenerf, atol=1e-6)
    np.testing.assert_allclose(geo.from_gazenerf(gazenerf), ours, atol=1e-6)


def test_prgan_labels_roundtrip_and_signs():
    ours = geo.from_prgan(jnp.array([1.0, -1.0]))  # H = 15 deg, V = -10 deg
    np.testing.assert_allclose(ours, [math.radians(-10), math.radians(-15)], atol=1e-6)
    np.testing.assert_allclose(geo.to_prgan(ours), [1.0, -1.0], atol=1e-6)


def test_columbia_filename():
    labels = geo.columbia_filename_to_labels("0001_2m_-15P_10V_-5H.jpg")
    assert labels["subject"] == 1 and labels["head_pose_deg"] == -15
    assert labels["vertical_deg"] == 10 and labels["horizontal_deg"] == -5 and labels["side"] is None
    np.testing.assert_allclose(labels["gaze"], [math.radians(10), math.radians(-10)])
    assert geo.columbia_filename_to_labels("0056_2m_30P_0V_15H_R.jpg")["side"] == "R"
    with pytest.raises(ValueError, match="ColumbiaGaze"):
        geo.columbia_filename_to_labels("face.png")
