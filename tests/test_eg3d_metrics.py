"""EG3D's ``gazejax evaluate`` beyond GFAS: KID by hand, view similarity, camera following, the view
sheet, and every metric of a tiny run."""

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from pretrained_torch_nets import random_variables
from random_judge import save_random_judge
from gazejax import convert
from gazejax.methods.eg3d import training
from gazejax.methods.eg3d.evaluation import camera_following, evaluate, mean_view_similarity, view_angles
from gazejax.methods.eg3d.losses import face_angles
from gazejax.methods.eg3d.synthgaze_reference import reference_faces
from gazejax.methods.eg3d.view_sheet import FACE_COLOUR, READ_COLOUR, arrow_end, view_sheet
from gazejax.metrics import kernel_inception_distance, unbiased_mmd2
from gazejax.models.fid_inception import FIDFeatures
from gazejax.train import config_loading

SEEN_BY_IDENTITY = []


def colour_embedding(config):
    """``eval.identity_network`` factory for the test: mean colour of four quadrants, recording its input."""
    del config

    def embed(images):
        SEEN_BY_IDENTITY.append(np.asarray(images))
        n, h, w, _ = images.shape
        quadrants = images.reshape(n, 2, h // 2, 2, w // 2, 3).mean(axis=(2, 4))
        return quadrants.reshape(n, -1)

    return embed


def fresh_generator_state(config):
    """What ``evaluate`` reads of a training state: a freshly initialised generator as the EMA one."""
    generator, _ = training.build_models(config)
    labels = jnp.zeros((1, 25))
    g_vars = jax.jit(generator.init)({"params": jax.random.key(0), "noise": jax.random.key(1)},
                                     jnp.zeros((1, config.model.z_dim)), labels, labels)
    return types.SimpleNamespace(ema_params=g_vars["params"],
                                 extra={"buffers": {k: v for k, v in g_vars.items() if k != "params"}})


def test_kid_of_a_hand_computed_example():
    # k(a, b) = (a b / 1 + 1)^3 in one dimension
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    # within x: k(0, 1) = 1; within y: k(2, 3) = 7^3 = 343; across: 1 + 1 + 27 + 64 = 93 over 4 pairs
    want = 1.0 + 343.0 - 2 * 93 / 4
    assert unbiased_mmd2(x, y) == pytest.approx(want)
    # subsets of the whole set only reorder it: every subset gives the same value
    assert kernel_inception_distance(x, y, num_subsets=5, subset_size=10) == pytest.approx(want)
    with pytest.raises(ValueError, match="KID needs"):
        kernel_inception_distance(x, y[:, :0])


def test_kid_averages_its_subsets():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(5, 3)) + 1
    draws = np.random.default_rng(7)
    want = np.mean([unbiased_mmd2(a[draws.choice(6, 3, replace=False)], b[draws.choice(5, 3, replace=False)])
                    for _ in range(4)])
    assert kernel_inception_distance(a, b, num_subsets=4, subset_size=3, seed=7) == pytest.approx(want)


def test_mean_view_similarity_of_pairs_of_views():
    # sample 0: views (1, 0), (0, 1), (1, 1): pair cosines 0, 1/sqrt2, 1/sqrt2; sample 1: identical views
    embeddings = np.array([[[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]], [[1.0, 2.0]] * 3])
    want = np.mean([0.0, 2 ** -0.5, 2 ** -0.5, 1.0, 1.0, 1.0])
    assert mean_view_similarity(embeddings) == pytest.approx(want)


def test_camera_following_of_fixed_and_camera_facing_eyes():
    face_yaw = np.array([0.43, 0.0, -0.43])
    own_yaw = np.array([[0.3], [-0.2], [0.05]])  # each seed's eyes, fixed in its head
    assert camera_following(face_yaw + own_yaw, face_yaw) == pytest.approx(0.0, abs=1e-12)
    assert camera_following(np.broadcast_to(own_yaw, (3, 3)), face_yaw) == pytest.approx(1.0)
    # eyes that turn half as far as the face follow the camera half way
    assert camera_following(0.5 * face_yaw + own_yaw, face_yaw) == pytest.approx(0.5)
    # the slope is a least-squares fit: noise that is not linear in the face yaw does not move it
    assert camera_following(face_yaw + own_yaw + np.array([0.1, -0.2, 0.1]), face_yaw) == pytest.approx(0.0)


def test_arrow_end_projects_the_gaze_on_the_image():
    # straight into the camera: a point; eyes to their right (yaw > 0) point to the image's left
    assert arrow_end((10.0, 20.0), (0.0, 0.0), 8.0) == pytest.approx((10.0, 20.0))
    assert arrow_end((10.0, 20.0), (0.0, np.pi / 2), 8.0) == pytest.approx((2.0, 20.0))
    # pitch > 0 looks up: towards smaller image y
    assert arrow_end((10.0, 20.0), (np.pi / 6, 0.0), 8.0) == pytest.approx((10.0, 16.0))


def test_view_sheet_tiles_seeds_by_views_and_draws_both_arrows():
    images = np.full((2, 3, 64, 64, 3), 0.5)
    face = np.array([[0.0, 0.6], [0.0, 0.0], [0.0, -0.6]])
    sheet = view_sheet(images, face, np.zeros((2, 3, 2)), origin=(0.5, 0.5))
    assert sheet.shape == (128, 192, 3) and sheet.dtype == np.uint8

    def has(tile, colour):
        return bool(np.any(np.all(tile == colour, axis=-1)))

    left, middle, right = (sheet[:64, 64 * j:64 * (j + 1)] for j in range(3))
    # face yaw +0.6: the green arrow runs to the left half, -0.6 to the right half
    assert has(left[:, :28], FACE_COLOUR) and not has(left[:, 36:], FACE_COLOUR)
    assert has(right[:, 36:], FACE_COLOUR) and not has(right[:, :28], FACE_COLOUR)
    # a gaze into the camera is a point: no arrow leaves the middle
    assert not has(middle[:, :28], READ_COLOUR) and not has(middle[:, 36:], READ_COLOUR)
    assert not has(view_sheet(images, face)[:, :], READ_COLOUR)  # no estimator: no red arrow


def test_reference_faces_keep_their_eyes_in_the_head_or_on_every_camera():
    config = config_loading.load_config("configs/eg3d.py:tiny,bias=control")
    faces = reference_faces(config, 2, view_angles(config))
    fixed, at_camera = faces["fixed"], faces["at_camera"]
    face_yaw = np.asarray(face_angles(jnp.asarray(fixed["camera"])))[:, 1]
    # the GFAS views' yaw offsets, +-0.4 rad; the face yaw is 0.403, not 0.435, as SynthGaze cameras look
    # at the origin rather than at the GFAS pivot
    assert face_yaw == pytest.approx([0.403, 0.0, -0.403], abs=0.002)
    assert fixed["image"].shape == (2, 3, 32, 32, 3) and 0 <= fixed["image"].min() and fixed["image"].max() <= 1
    assert camera_following(fixed["gaze"][..., 1], face_yaw) == pytest.approx(0.0, abs=0.02)
    assert camera_following(at_camera["gaze"][..., 1], face_yaw) == pytest.approx(1.0, abs=0.1)
    # the camera-facing eyes look from between the eyes at the camera: within a few degrees of (0, 0)
    assert np.abs(at_camera["gaze"]).max() < np.radians(6)
    # portrait eyes: within a quarter of SynthGaze's gaze range of the face direction
    head_gaze = fixed["gaze"][..., 1] - face_yaw
    assert np.abs(head_gaze).max() < np.radians(35) / 4 + 0.02
    assert not np.allclose(fixed["image"], at_camera["image"])


def test_evaluate_on_synthgaze_adds_the_true_faces_scores(tmp_path):
    judge = save_random_judge(tmp_path / "judge", input_size=32)
    config = config_loading.load_config("configs/eg3d.py:tiny", [f"eval.estimator_checkpoint={judge}"])
    state = fresh_generator_state(config)
    result = evaluate(config, state, tmp_path)
    for rule in ("fixed", "at_camera"):
        assert result[f"reference_{rule}_gfas"] == pytest.approx(sum(result[f"reference_{rule}_per_view_mse"]))
        assert result[f"reference_{rule}_gfas"] > 0 and np.isfinite(result[f"reference_{rule}_camera_following"])
    assert (tmp_path / "eg3d_views.png").exists()


def test_evaluate_reports_gfas_pose_identity_fid_and_kid(tmp_path):
    judge = save_random_judge(tmp_path / "judge", input_size=32, head_pose=True)
    # the smallest input the Inception takes; random weights: the plumbing is under test
    fid_net = FIDFeatures(resize_to=75)
    convert.save(tmp_path / "fid", {"network": "inception-fid", "input_size": 75},
                 random_variables(fid_net, jnp.zeros((1, 75, 75, 3))))
    config = config_loading.load_config("configs/eg3d.py:tiny", [
        "data.builder=test_eg3d_train:camera_source", f"eval.estimator_checkpoint={judge}",
        f"eval.fid_checkpoint={tmp_path / 'fid'}", "eval.identity_network=test_eg3d_metrics:colour_embedding"])
    state = fresh_generator_state(config)
    SEEN_BY_IDENTITY.clear()
    result = evaluate(config, state, tmp_path)

    assert result["seeds"] == 2 and len(result["per_view_mse"]) == 3
    assert result["gfas"] == pytest.approx(sum(result["per_view_mse"])) and result["gfas"] > 0
    assert len(result["per_view_pose_error_deg"]) == 3 and 0 < result["pose_error_deg"] < 180
    assert np.isfinite(result["camera_following"])
    assert result["pose_error_deg"] == pytest.approx(np.mean(result["per_view_pose_error_deg"]))

    # the identity network saw each seed's three views, in [0, 1], which differ by camera
    images = np.concatenate(SEEN_BY_IDENTITY).reshape(2, 3, 128, 128, 3)
    assert images.min() >= 0 and images.max() <= 1
    assert not np.allclose(images[:, 0], images[:, 2])
    embedding = colour_embedding(None)
    want = mean_view_similarity(np.asarray(embedding(images.reshape(6, 128, 128, 3))).reshape(2, 3, -1))
    assert result["identity_similarity"] == pytest.approx(want)

    assert result["fid_images"] == 4 and result["fid_real_images"] == 4
    # the view sheet: both seeds (fewer than eval.view_sheet_seeds) from the three views, with arrows
    sheet = np.asarray(Image.open(tmp_path / "eg3d_views.png"))
    assert sheet.shape == (2 * 128, 3 * 128, 3)
    assert np.any(np.all(sheet == FACE_COLOUR, axis=-1)) and np.any(np.all(sheet == READ_COLOUR, axis=-1))
    assert np.isfinite(result["fid"]) and result["fid"] > 0 and np.isfinite(result["kid"])


def test_evaluate_without_any_judge_says_what_to_set(tmp_path):
    config = config_loading.load_config("configs/eg3d.py:tiny")
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate(config, None, tmp_path)
