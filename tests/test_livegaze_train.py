"""LiveGaze training and evaluation: the tiny loss falls, Eqs. 6-7 combine, the protocol's numbers."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import livegaze_tiny
from pretrained_torch_nets import random_variables
from random_judge import save_random_judge
from gazejax import convert
from gazejax.data.pipeline import make_pipeline
from gazejax.evaluation.protocol import REPORT_KEYS
from gazejax.geometry import angular_error
from gazejax.metrics import frechet_inception_distance, psnr
from gazejax.models.fid_inception import FIDFeatures
from gazejax.pretrained.fid import load_fid_features
from gazejax.pretrained.gaze_estimator import load_gaze_estimator
from gazejax.methods.livegaze.build import build_model, init_variables
from gazejax.models.lpips import LPIPS
from gazejax.pretrained.lpips import load_lpips
from gazejax.methods.livegaze import evaluation as livegaze_eval
from gazejax.methods.livegaze import losses as livegaze_losses
from gazejax.methods.livegaze import training as livegaze
from gazejax.train.method import TrainState


def test_tiny_loss_falls_and_terms_combine():
    config = livegaze_tiny.config()
    batch = livegaze_tiny.pair_batch()
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    assert set(state.params) == {"encoder", "decoder"}  # no SR in the tiny variant
    step = jax.jit(lambda s, b, k: livegaze.train_step(config, s, b, k))
    key = jax.random.key(1)
    history = []
    for i in range(12):
        state, metrics = step(state, batch, jax.random.fold_in(key, i))
        history.append({k: float(v) for k, v in metrics.items()})
    first, last = history[0], history[-1]
    w = config.loss
    # Eq. 6/7 with the paper's weights (no perceptual network configured)
    expected = w.reconstruction * (w.face * first["face_l1"] + w.eyes * first["eye_l1"]) + w.depth * first["depth_l1"]
    np.testing.assert_allclose(first["loss"], expected, rtol=1e-5)
    assert (w.face, w.eyes, w.depth, w.perceptual) == (1.0, 2.0, 1.0, 0.8)
    assert np.mean([h["loss"] for h in history[-3:]]) < 0.7 * first["loss"]
    assert last["depth_l1"] < first["depth_l1"]

    evaluated = jax.jit(lambda s, b: livegaze.eval_step(config, s, b))(state, batch)
    assert np.isfinite(float(evaluated["psnr_face"]))

    assert float(evaluated["psnr_face"]) > 5.0


def test_area_downsample_averages_blocks():
    x = jnp.arange(16.0).reshape(1, 4, 4)
    np.testing.assert_allclose(livegaze_losses.area_downsample(x, 2)[0], [[2.5, 4.5], [10.5, 12.5]])


def test_optimizer_groups_follow_the_paper():
    params = {"encoder": {"a": jnp.ones(2)}, "decoder": {"b": jnp.ones(2)}, "w": jnp.ones(3)}
    labels = livegaze._labels(params)
    assert labels == {"encoder": {"a": "encoder"}, "decoder": {"b": "renderer"}, "w": "renderer"}
    config = livegaze_tiny.config()
    with config.unlocked():
        config.optim.encoder_lr, config.optim.clip_norm = 0.0, 0.0
    tx = livegaze.optimizer(config)
    grads = jax.tree.map(jnp.ones_like, params)
    updates, _ = tx.update(grads, tx.init(params), params)
    assert float(jnp.abs(updates["encoder"]["a"]).max()) == 0.0
    assert float(jnp.abs(updates["decoder"]["b"]).max()) > 0.0


def _eval_config():
    """The tiny config on 1 identity x 2 frames x 2 views: 2 batches of 2 pairs."""
    config = livegaze_tiny.config()
    with config.unlocked():
        config.data.update(dict(
            builder="livegaze_tiny:make_source", identities=1, frames=2, views=2,
            resolution=livegaze_tiny.RESOLUTION, num_threads=0,
        ))
        config.batch_size, config.eval.num_batches = 2, 2
    return config


def _random_state(config):
    batch = livegaze_tiny.pair_batch()
    model = build_model(config.model)
    variables = jax.jit(functools.partial(init_variables, model))(
        jax.random.key(0), batch["source"]["image"], batch["target"]["gaze_head"], batch["target"]["camera"]
    )
    return TrainState(step=jnp.zeros((), jnp.int32), params=variables["params"], opt_state=None)


def test_evaluate_reports_model_and_baseline(tmp_path):
    config = _eval_config()
    state = _random_state(config)
    batch = livegaze_tiny.pair_batch()
    lpips_net = LPIPS()
    image = batch["source"]["image"][:1]
    convert.save(tmp_path / "lpips", {"network": "lpips"}, jax.jit(lpips_net.init)(jax.random.key(1), image, image))
    with config.unlocked():
        config.eval.lpips_checkpoint = str(tmp_path / "lpips")
    results = livegaze_eval.evaluate(config, state, tmp_path)
    assert tuple(results) == REPORT_KEYS and results["pairs"] == 4
    rows = results["rows"]
    assert list(rows) == ["do_nothing", "output", "target"]
    assert len({tuple(scores) for scores in rows.values()}) == 1  # every row has the same metrics
    assert {"psnr", "ssim"} <= set(rows["output"]) and {"psnr", "ssim"} <= set(rows["do_nothing"])
    assert "gaze_error_deg" not in rows["output"]  # no estimator configured
    # the baseline numbers are those of the source images themselves
    pipe = make_pipeline(config.data, "test", global_batch_size=2, seed=config.seed, process_index=0, process_count=1)
    pairs = [pipe.local_batch(i) for i in range(2)]
    expected = np.mean([np.asarray(psnr(p["source"]["image"], p["target"]["image"], p["target"]["face_mask"])) for p in pairs])
    np.testing.assert_allclose(rows["do_nothing"]["psnr"], expected, rtol=1e-5)
    # ... and over the same-camera pairs only
    same = np.concatenate([np.asarray(p["source"]["view"] == p["target"]["view"]) for p in pairs])
    assert results["same_view"]["pairs"] == same.sum() == 2  # this data's pairs have both kinds
    per_pair = np.concatenate([np.asarray(psnr(p["source"]["image"], p["target"]["image"],
                                               p["target"]["face_mask"])) for p in pairs])
    np.testing.assert_allclose(results["same_view"]["rows"]["do_nothing"]["psnr"], per_pair[same].mean(),
                               rtol=1e-5)
    lpips = load_lpips(tmp_path / "lpips")
    masked = [(p["source"]["image"] * p["target"]["face_mask"][..., None],
               p["target"]["image"] * p["target"]["face_mask"][..., None]) for p in pairs]
    expected = np.mean([np.asarray(lpips(a, b)) for a, b in masked])
    np.testing.assert_allclose(rows["do_nothing"]["lpips"], expected, rtol=1e-4)
    assert np.isfinite(rows["output"]["lpips"]) and rows["output"]["lpips"] != rows["do_nothing"]["lpips"]
    assert rows["output"]["psnr"] != rows["do_nothing"]["psnr"]

    # With a judge that reads gaze and head pose (random weights, a cropping one as
    # the SynthGaze judge), both errors appear for output, input and true target.
    with config.unlocked():
        config.eval.estimator_checkpoint = save_random_judge(tmp_path / "judge", 16, head_pose=True, crop=(0.0, 0.25, 0.5))
        config.eval.lpips_checkpoint = ""
    judged = livegaze_eval.evaluate(config, state, tmp_path)
    rows = judged["rows"]
    for name in ("gaze", "head"):
        for scores in (rows["output"], rows["do_nothing"], rows["target"], judged["same_view"]["rows"]["output"]):
            assert 0 <= scores[f"{name}_error_deg"] < 180, name
    estimate = load_gaze_estimator(config.eval.estimator_checkpoint)[0]
    expected = np.mean([np.asarray(angular_error(estimate(p["source"]["image"])["head"], p["target"]["head_pose"]))
                        for p in pairs])
    np.testing.assert_allclose(judged["rows"]["do_nothing"]["head_error_deg"], expected, rtol=1e-5)
    assert "fid" not in judged["rows"]["output"]


def test_evaluate_reports_fid_of_output_and_input_sets(tmp_path):
    config = _eval_config()
    state = _random_state(config)
    # A random-weight Inception that reads 75^2 (its smallest input) keeps this test
    # fast; only the plumbing is under test (the network's parity is elsewhere).
    fid_net = FIDFeatures(resize_to=75)
    convert.save(tmp_path / "fid", {"network": "inception-fid", "input_size": 75},
                 random_variables(fid_net, jnp.zeros((1, 75, 75, 3))))
    with config.unlocked():
        config.eval.fid_checkpoint = str(tmp_path / "fid")
    results = livegaze_eval.evaluate(config, state, tmp_path)
    pipe = make_pipeline(config.data, "test", global_batch_size=2, seed=config.seed, process_index=0, process_count=1)
    pairs = [pipe.local_batch(i) for i in range(2)]
    features = load_fid_features(tmp_path / "fid")
    masked = {k: np.concatenate([np.asarray(features(p[k]["image"] * p["target"]["face_mask"][..., None]))
                                 for p in pairs]) for k in ("source", "target")}
    rows = results["rows"]
    np.testing.assert_allclose(rows["do_nothing"]["fid"],
                               frechet_inception_distance(masked["source"], masked["target"]), rtol=1e-4)
    assert rows["output"]["fid"] >= 0 and rows["output"]["fid"] != rows["do_nothing"]["fid"]


def test_super_resolution_variant_keeps_its_noise_buffers():
    # EG3D's SR layers hold fixed noise in a 'constants' collection: it must
    # travel with the state (in extra) or the model cannot be applied.
    config = livegaze_tiny.config()
    with config.unlocked():
        config.model.update(dict(sr_variant="2X", sr_widths=(8, 8), output_resolution=128))
    batch = livegaze_tiny.pair_batch(n=1, resolution=128)
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    assert "constants" in state.extra["buffers"]
    assert {"superresolution", "w"} <= set(state.params)
    loss, (metrics, out) = jax.jit(
        lambda s, b: livegaze_losses.total_loss(config, s.params, s.extra, b, jax.random.key(1))
    )(state, batch)
    assert out["image"].shape == (1, 128, 128, 3) and out["image_raw"].shape == (1, 16, 16, 3)
    assert np.isfinite(float(loss))
    # in bfloat16 the super-resolution computes in bfloat16 too; its image leaves as float32
    with config.unlocked():
        config.compute_dtype = "bfloat16"
    half_loss, (_, half_out) = jax.jit(
        lambda s, b: livegaze_losses.total_loss(config, s.params, s.extra, b, jax.random.key(1))
    )(state, batch)
    assert half_out["image"].dtype == jnp.float32
    np.testing.assert_allclose(float(half_loss), float(loss), rtol=0.1)


def test_records_without_depth_train_with_the_depth_term_off():
    """Real datasets (ETH-XGaze, ...) have no true depth: loss.depth = 0 must not read it."""
    config = livegaze_tiny.config()
    batch = livegaze_tiny.pair_batch()
    batch = {side: {k: v for k, v in records.items() if k != "depth"} for side, records in batch.items()}
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    with pytest.raises(ValueError, match="loss.depth=0"):
        livegaze.train_step(config, state, batch, jax.random.key(1))
    with config.unlocked():
        config.loss.depth = 0.0
    _, metrics = livegaze.train_step(config, state, batch, jax.random.key(1))
    assert "depth_l1" not in metrics and np.isfinite(float(metrics["loss"]))
