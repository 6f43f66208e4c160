"""EG3D's ``gazejax evaluate`` beyond GFAS: KID by hand, view similarity, and every metric of a tiny run."""

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pretrained_torch_nets import random_variables
from random_judge import save_random_judge
from gazejax import convert
from gazejax.methods.eg3d import training
from gazejax.methods.eg3d.evaluation import evaluate, mean_view_similarity
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


def test_evaluate_reports_gfas_pose_identity_fid_and_kid(tmp_path):
    judge = save_random_judge(tmp_path / "judge", input_size=32, head_pose=True)
    # the smallest input the Inception takes; random weights: the plumbing is under test
    fid_net = FIDFeatures(resize_to=75)
    convert.save(tmp_path / "fid", {"network": "inception-fid", "input_size": 75},
                 random_variables(fid_net, jnp.zeros((1, 75, 75, 3))))
    config = config_loading.load_config("configs/eg3d.py:tiny", [
        "data.builder=test_eg3d_train:camera_source", f"eval.estimator_checkpoint={judge}",
        f"eval.fid_checkpoint={tmp_path / 'fid'}", "eval.identity_network=test_eg3d_metrics:colour_embedding"])
    generator, _ = training.build_models(config)
    labels = jnp.zeros((1, 25))
    g_vars = jax.jit(generator.init)({"params": jax.random.key(0), "noise": jax.random.key(1)},
                                     jnp.zeros((1, config.model.z_dim)), labels, labels)
    state = types.SimpleNamespace(ema_params=g_vars["params"],
                                  extra={"buffers": {k: v for k, v in g_vars.items() if k != "params"}})
    SEEN_BY_IDENTITY.clear()
    result = evaluate(config, state, tmp_path)

    assert result["seeds"] == 2 and len(result["per_view_mse"]) == 3
    assert result["gfas"] == pytest.approx(sum(result["per_view_mse"])) and result["gfas"] > 0
    assert len(result["per_view_pose_error_deg"]) == 3 and 0 < result["pose_error_deg"] < 180
    assert result["pose_error_deg"] == pytest.approx(np.mean(result["per_view_pose_error_deg"]))

    # the identity network saw each seed's three views, in [0, 1], which differ by camera
    images = np.concatenate(SEEN_BY_IDENTITY).reshape(2, 3, 128, 128, 3)
    assert images.min() >= 0 and images.max() <= 1
    assert not np.allclose(images[:, 0], images[:, 2])
    embedding = colour_embedding(None)
    want = mean_view_similarity(np.asarray(embedding(images.reshape(6, 128, 128, 3))).reshape(2, 3, -1))
    assert result["identity_similarity"] == pytest.approx(want)

    assert result["fid_images"] == 4 and result["fid_real_images"] == 4
    assert np.isfinite(result["fid"]) and result["fid"] > 0 and np.isfinite(result["kid"])


def test_evaluate_without_any_judge_says_what_to_set(tmp_path):
    config = config_loading.load_config("configs/eg3d.py:tiny")
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate(config, None, tmp_path)
