"""GazeNeRF method: the :tiny loss falls, fitting is compiled and batched, bad input errors."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

import fake_synthgaze
from random_judge import save_random_judge
from gazejax import metrics
from gazejax.data.pipeline import to_float
from gazejax.evaluation.protocol import REPORT_KEYS
from gazejax.geometry import camera_label
from gazejax.methods.gazenerf.losses import region_masks, whiten_outside
from gazejax.methods.gazenerf import latent
from gazejax.methods.gazenerf import evaluation as gazenerf_evaluation
from gazejax.methods.gazenerf import fitting as gazenerf_fitting
from gazejax.methods.gazenerf import method as gazenerf_method
from gazejax.methods.gazenerf import training as gazenerf
from gazejax.train.config_loading import load_config

RES = 32


def tiny_config(**model):
    """:tiny on the fake records below (their code sizes), 6 fitting steps, 2 subjects per fit."""
    dims = dict(iden_dim=fake_synthgaze.SHAPE_DIM, expr_dim=fake_synthgaze.EXPRESSION_DIM,
                text_dim=fake_synthgaze.TEXTURE_DIM, illu_dim=fake_synthgaze.ILLUMINATION_DIM)
    overrides = [f"--config.model.{k}={v}" for k, v in {**dims, **model}.items()] + [
        "--config.optim.lr=3e-3", "--config.fit.lr=3e-3", "--config.fit.num_steps=6", "--config.eval.fit_batch=2",
        "--config.eval.max_subjects=2", "--config.eval.inputs_per_subject=1",
        "--config.data.builder=test_gazenerf_train:make_source"]
    return load_config("configs/gazenerf.py:tiny", overrides)


def fake_records(first_identity=0):
    """Fake records (2 identities x 2 frames x 2 views) with real cameras and eye masks."""
    recs = fake_synthgaze.records(2, 2, 2, RES, first_identity=first_identity)
    for r in recs:
        r["camera"] = np.asarray(camera_label(0.3 * float(r["view"]), 0.0))
        r["left_eye_mask"] = np.zeros((RES, RES), np.uint8)
        r["left_eye_mask"][10:14, 18:24] = 1
        r["right_eye_mask"] = np.zeros((RES, RES), np.uint8)
        r["right_eye_mask"][10:14, 8:14] = 1
    return recs


def make_source(data_config, split, data_dir):
    """The data.builder hook used by ``evaluate``."""
    del data_config, data_dir
    return fake_records(0 if split == "train" else 2)


def fake_batch(n=8, first_identity=0):
    return fake_batch_of([to_float(r) for r in fake_records(first_identity)[:n]])


def fake_batch_of(recs):
    return {k: jnp.asarray(np.stack([r[k] for r in recs])) for k in recs[0]}


@pytest.fixture(scope="module")
def setup():
    """(config, batch of 4, initial state), shared so that init compiles once."""
    config, batch = tiny_config(), fake_batch(4)
    return config, batch, jax.jit(functools.partial(gazenerf_method.METHOD.init, config))(jax.random.key(0), batch)


def test_tiny_loss_falls(setup):
    config, batch, state = setup
    step = jax.jit(functools.partial(gazenerf_method.METHOD.train_step, config))
    losses = []
    for i in range(12):
        state, terms = step(state, batch, jax.random.key(i))
        losses.append(float(terms["loss"]))
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3]), losses
    # The per-image offsets are trained with the network.
    assert float(jnp.abs(state.params["offsets"]["iden"]).max()) > 0
    metrics = jax.jit(functools.partial(gazenerf_method.METHOD.eval_step, config))(state, batch)
    assert set(metrics) == {"psnr", "ssim", "head_l1"} and np.isfinite(float(metrics["psnr"]))


def test_fit_redirect_and_evaluate(setup, tmp_path):
    config, batch, state = setup
    batch = fake_batch(2, first_identity=2)
    fit = functools.partial(gazenerf_fitting.fit_and_redirect, config, state.params["net"], state.extra)
    target_gaze = jnp.array([[0.2, -0.3], [-0.1, 0.4]])
    camera = {"camera": camera_label(jnp.array([0.2, -0.2]), 0.1)}
    illumination = batch["illumination_code"][::-1]
    images, losses = fit(batch, target_gaze, jax.random.key(1), camera, illumination)
    assert images["merged"].shape == (2, RES, RES, 3) and losses.shape == (2, 6)
    assert float(losses[:, -1].mean()) < float(losses[:, 0].mean())  # fitting fits
    # Fitting runs at fit.lr, not at the training rate.
    frozen = config.copy_and_resolve_references()
    frozen.fit.lr = frozen.fit.slow_lr = 0.0
    unmoved, _ = gazenerf_fitting.fit(frozen, state.params["net"], state.extra, batch, jax.random.key(1), 2)
    assert all(np.array_equal(a[0], b) for a, b in zip(jax.tree.leaves(unmoved["net"]),
                                                     jax.tree.leaves(state.params["net"])))
    # Subjects are fitted independently: changing subject 1 leaves subject 0's result alone
    # (same shapes and config, so no recompilation).
    other = {**batch, "image": batch["image"].at[1].set(1.0 - batch["image"][1])}
    again, _ = fit(other, target_gaze, jax.random.key(1), camera, illumination)
    np.testing.assert_allclose(again["merged"][0], images["merged"][0], atol=1e-5)
    assert float(jnp.abs(again["merged"][1] - images["merged"][1]).max()) > 1e-3
    # The protocol fits 2 test subjects at once with the same compiled function, the functional
    # loss and the gaze errors through an L2CS judge (random weights: only the plumbing is tested).
    judged = _with_l2cs_judge(config, tmp_path / "judge")
    # Learnt offsets, as after training: only the seen_* scores (training images) may use them.
    offsets = jax.tree.map(lambda a: 0.3 * jax.random.normal(jax.random.key(5), a.shape),
                           state.params["offsets"])
    state = state.replace(params={**state.params, "offsets": offsets},
                          extra=gazenerf.frozen_variables(judged))
    results = gazenerf_method.METHOD.evaluate(judged, state, tmp_path)
    assert tuple(results) == REPORT_KEYS
    rows = results["rows"]
    assert list(rows) == ["do_nothing", "output", "unfitted", "seen", "target"]
    assert len({tuple(scores) for scores in rows.values()}) == 1  # every row has the same metrics
    assert results["pairs"] == 2 and np.isfinite(rows["output"]["psnr"]) and 0 < rows["output"]["ssim"] <= 1
    for name in ("gaze", "head"):
        for row in ("output", "do_nothing", "unfitted", "seen", "target"):
            assert 0 <= rows[row][f"{name}_error_deg"] < 180, (row, name)
        for row in ("output", "do_nothing", "unfitted"):
            assert 0 <= rows[row][f"{name}_error_vs_judge_deg"] < 180, (row, name)
    # The do-nothing row is the input itself, whitened like the target, scored against the target.
    test = [to_float(r) for r in make_source(None, "test", None)]
    pairs = gazenerf_evaluation.protocol_pairs(*(np.array([r[k] for r in test]) for k in ("identity", "frame", "view")),
                                            1, 2)
    whiten = lambda r: whiten_outside(jnp.asarray(r["image"])[None], jnp.asarray(r["face_mask"])[None])  # noqa: E731
    expected = np.mean([float(metrics.psnr(whiten(test[i]), whiten(test[j]))[0]) for i, j in pairs])
    np.testing.assert_allclose(rows["do_nothing"]["psnr"], expected, rtol=1e-5)
    # The unfitted row is the trained network on the input's own codes at the target's gaze and camera.
    inputs = fake_batch_of([test[i] for i, _ in pairs])
    targets = fake_batch_of([test[j] for _, j in pairs])
    rendered = gazenerf.render_records(
        judged, state.params["net"], {**inputs, "illumination_code": targets["illumination_code"]},
        gaze=targets["gaze_head"], camera=latent.record_camera(targets, judged.model.featmap_size, RES))
    truth = whiten_outside(targets["image"], region_masks(targets)[0])
    expected = float(jnp.mean(metrics.psnr(rendered["merged"], truth)))
    np.testing.assert_allclose(rows["unfitted"]["psnr"], expected, rtol=1e-4)
    # The seen row: the protocol's inputs from the TRAINING split, each rendered from its own
    # offset row, gaze and camera, scored against itself.
    train = [to_float(r) for r in make_source(None, "train", None)]
    seen = fake_batch_of([train[i] for i, _ in gazenerf_evaluation.protocol_pairs(
        *(np.array([r[k] for r in train]) for k in ("identity", "frame", "view")), 1, 2)])
    own_truth = whiten_outside(seen["image"], region_masks(seen)[0])

    def seen_psnr(rows):
        own = gazenerf.render_records(judged, state.params["net"], seen, rows)["merged"]
        return float(jnp.mean(metrics.psnr(own, own_truth)))

    own_rows = latent.gather(offsets, gazenerf.offset_slots(judged, seen))
    np.testing.assert_allclose(rows["seen"]["psnr"], seen_psnr(own_rows), rtol=1e-4)
    assert abs(seen_psnr(jax.tree.map(jnp.zeros_like, own_rows)) - rows["seen"]["psnr"]) > 1e-3
    # The picture: rows input, redirected, unfitted, true target; one column per pair.
    picture = np.asarray(Image.open(tmp_path / "gazenerf_eval.png"), np.float32) / 255
    assert picture.shape == (4 * RES, 2 * RES, 3)
    bottom = np.concatenate(list(np.asarray(truth)), axis=1)
    np.testing.assert_allclose(picture[3 * RES:], bottom, atol=1 / 255)
    assert abs(rows["unfitted"]["psnr"] - rows["output"]["psnr"]) > 1e-3  # fitting changed the output


def _with_l2cs_judge(config, directory):
    """``config`` with a random-weight ResNet-18 L2CS judge (gaze and head pose) as its estimator."""
    judged = config.copy_and_resolve_references()
    judged.loss.estimator_checkpoint = save_random_judge(directory, RES, head_pose=True)
    return judged


def test_bad_inputs_give_one_line_errors():
    config = tiny_config()
    batch = fake_batch(1)
    with pytest.raises(ValueError, match="target_gaze must be"):
        gazenerf_fitting.fit_and_redirect(config, {}, {}, batch, jnp.zeros((3,)), jax.random.key(0))
    wrong = tiny_config(iden_dim=7)
    with pytest.raises(ValueError, match="shape_code has 4 numbers but config.model expects 7"):
        gazenerf.check_record(wrong, batch)
    with pytest.raises(ValueError, match="renders 32x32"):
        gazenerf.check_record(config, {**batch, "image": jnp.zeros((1, 16, 16, 3))})


def test_protocol_pairs_are_fixed_and_change_the_frame():
    identity = np.array([0, 0, 0, 0, 1, 1])
    frame = np.array([0, 0, 1, 1, 0, 1])
    pairs = gazenerf_evaluation.protocol_pairs(identity, frame, np.zeros(6), 2, 5)
    assert pairs == [(0, 2), (1, 2), (4, 5), (5, 4)]
    assert all(identity[i] == identity[j] and frame[i] != frame[j] for i, j in pairs)


def test_protocol_pairs_follow_a_published_target_list(tmp_path):
    # GazeNeRF's *_evaluation_target_single_subject.txt: line k = the target row of input k
    # inside the input's own subject
    identity = np.array([3, 3, 3, 7, 7, 7, 7])
    listed = tmp_path / "targets.txt"
    listed.write_text("2\n0\n")
    targets = gazenerf_evaluation.read_target_list(listed)
    pairs = gazenerf_evaluation.protocol_pairs(identity, np.zeros(7), np.zeros(7), 2, 5, targets)
    assert pairs == [(0, 2), (1, 0), (3, 5), (4, 3)]

    with pytest.raises(ValueError, match="has 2 rows for 3 inputs"):
        gazenerf_evaluation.protocol_pairs(identity, np.zeros(7), np.zeros(7), 3, 5, targets)
    listed.write_text("3\n0\n")  # subject 3 has rows 0-2 only
    with pytest.raises(ValueError, match=r"names row 3 \(line 1\) but subject 3 has 3 records"):
        gazenerf_evaluation.protocol_pairs(identity, np.zeros(7), np.zeros(7), 2, 5,
                                           gazenerf_evaluation.read_target_list(listed))
    for text in ("0 1\n2 3\n", "1\nx\n"):  # GazeNeRF's input lists have two columns
        listed.write_text(text)
        with pytest.raises(ValueError, match="not one integer per line"):
            gazenerf_evaluation.read_target_list(listed)
    with pytest.raises(ValueError, match="no such file"):
        gazenerf_evaluation.read_target_list(tmp_path / "missing.txt")


def test_redirect_command_fits_a_held_out_record_and_renders(tmp_path):
    from PIL import Image

    from gazejax.cli import main

    overrides = [f"--config.{a}" for a in [
        f"model.iden_dim={fake_synthgaze.SHAPE_DIM}", f"model.expr_dim={fake_synthgaze.EXPRESSION_DIM}",
        f"model.text_dim={fake_synthgaze.TEXTURE_DIM}", f"model.illu_dim={fake_synthgaze.ILLUMINATION_DIM}",
        "data.builder=test_gazenerf_train:make_source", "num_steps=2", "checkpoint_every=2",
        "sample_every=0"]]
    run = str(tmp_path / "run")
    assert main(["train", "--config", "configs/gazenerf.py:tiny", "--workdir", run, *overrides]) == 0
    out, sweep = tmp_path / "out.png", tmp_path / "sweep.png"
    assert main(["redirect", "--method", "gazenerf", "--checkpoint", run, "--index", "1",
                 "--gaze=0.1,-0.2", "--out", str(out), "--sweep", str(sweep),
                 "--sweep-gaze=-0.3,0.3", "--fit-steps", "2"]) == 0
    assert np.asarray(Image.open(out)).shape == (RES, RES, 3)
    assert np.asarray(Image.open(sweep)).shape == (RES, 3 * RES, 3)  # input + 2 gazes
    assert main(["redirect", "--method", "livegaze", "--checkpoint", run, "--out", str(out),
                 "--gaze", "0,0"]) == 2  # a GazeNeRF run is not a LiveGaze one
    assert main(["redirect", "--checkpoint", run, "--index", "99", "--out", str(out),
                 "--gaze", "0,0"]) == 2  # out of range
