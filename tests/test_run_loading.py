"""``load_model``: a run loads for inference with only what inference needs.

A LiveGaze run trained with a perceptual network is copied elsewhere and its
loss checkpoint deleted: it still loads, redirects exactly as the trained
state does, and ``gazejax redirect`` works on it. Runs written before the
methods moved (old method module, old key names) load too.
"""

import json
import shutil

import jax
import numpy as np
import pytest
from PIL import Image

import livegaze_tiny
from gazejax.cli import main
from gazejax.convert import frozen_network, read_info
from gazejax.methods.livegaze import training as livegaze
from gazejax.methods.livegaze.inference import Redirector
from gazejax.run_loading import RunError, load_model, load_run_config
from gazejax.train import checkpointing
from random_judge import save_random_judge


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A tiny LiveGaze state with a frozen perceptual judge in ``extra``, saved as run ``run``."""
    root = tmp_path_factory.mktemp("loading")
    config = livegaze_tiny.config()
    with config.unlocked():
        config.loss.perceptual_checkpoint = save_random_judge(root / "judge", 32)
        config.loss.perceptual_layers = ("layer1",)
        config.loss.perceptual_layer_weights = (1.0,)
    batch = livegaze_tiny.pair_batch()
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    assert "perceptual" in state.extra
    run = root / "run"
    run.mkdir()
    (run / "config.json").write_text(config.to_json_best_effort())
    saved = checkpointing.Checkpoints(run, keep=1)
    saved.save(state, jax.random.key(1), 3)
    saved.close()
    return root, config, state, batch


def test_a_copied_run_without_its_loss_checkpoints_redirects(trained_run, tmp_path):
    root, config, state, batch = trained_run
    copy = tmp_path / "copied"
    shutil.copytree(root / "run", copy)
    moved_judge = tmp_path / "judge_elsewhere"
    shutil.move(root / "judge", moved_judge)  # the loss checkpoint is gone
    try:
        run = load_model(copy)
        assert run.method == "livegaze" and run.step == 0
        assert set(run.state) == {"params"}  # no optimizer state, no perceptual network
        redirector = Redirector.from_workdir(copy)
        src, tgt = batch["source"], batch["target"]
        got = redirector(src["image"], tgt["gaze_head"], tgt["camera"])["image"]
        expected = livegaze.redirect(config, livegaze.model_variables(state.params, state.extra),
                                     src["image"], tgt["gaze_head"], tgt["camera"])["image"]
        np.testing.assert_allclose(got, np.clip(expected, 0, 1), atol=1e-6)

        face = tmp_path / "face.png"
        Image.fromarray((np.asarray(src["image"][0]) * 255).astype(np.uint8)).save(face)
        out = tmp_path / "out.png"
        assert main(["redirect", "--checkpoint", str(copy), "--image", str(face), "--gaze", "0.1,-0.2",
                     "--out", str(out)]) == 0
        assert np.asarray(Image.open(out)).shape == (32, 32, 3)
    finally:
        shutil.move(moved_judge, root / "judge")


def test_runs_written_before_the_move_still_load(trained_run, tmp_path):
    root, _, _, _ = trained_run
    old = tmp_path / "old"
    shutil.copytree(root / "run", old)
    saved = json.loads((old / "config.json").read_text())
    saved["method"] = "gazejax.train.livegaze"
    saved["eval"]["estimator"] = saved["eval"].pop("estimator_checkpoint")
    (old / "config.json").write_text(json.dumps(saved))
    config = load_run_config(old)
    assert config.method == "livegaze" and "estimator" not in config.eval
    assert config.eval.estimator_checkpoint == ""
    assert load_model(old, method="livegaze").method == "livegaze"


def test_bad_run_directories_get_one_line(trained_run, tmp_path):
    root, _, _, _ = trained_run
    with pytest.raises(RunError, match="not a training run directory"):
        load_model(tmp_path)
    assert not (tmp_path / "checkpoints").exists()  # looking creates nothing
    with pytest.raises(RunError, match="holds a 'livegaze' run, not a mggr one"):
        load_model(root / "run", method="mggr")
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "config.json").write_text("{not json")
    with pytest.raises(RunError, match="garbled/config.json is not a readable run config"):
        load_run_config(garbled)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text(json.dumps({"method": "livegaze"}))
    with pytest.raises(RunError, match="no checkpoint in"):
        load_model(empty)


def test_an_inference_bundle_redirects_as_its_run(trained_run, tmp_path, capsys):
    root, config, state, batch = trained_run
    src, tgt = batch["source"], batch["target"]
    expected = np.clip(livegaze.redirect(config, livegaze.model_variables(state.params, state.extra),
                                         src["image"], tgt["gaze_head"], tgt["camera"])["image"], 0, 1)
    bundle = tmp_path / "model.msgpack"
    assert main(["export", "--checkpoint", str(root / "run"), "--bundle", str(bundle)]) == 0
    run = load_model(bundle, method="livegaze")
    assert (run.method, run.step) == ("livegaze", 0)
    # the bundle's config is the run's, plus the info of the frozen network it names, so that a
    # bundle read where that directory does not exist still builds the network (the estimator of
    # GazeNeRF's fitting loss)
    saved = load_run_config(root / "run").to_dict()
    saved["loss"]["perceptual_info"] = read_info(config.loss.perceptual_checkpoint)
    assert run.config.to_dict() == saved
    module, info = frozen_network("/nonexistent", run.config.loss.perceptual_info)
    assert info == read_info(config.loss.perceptual_checkpoint)
    assert module == frozen_network(config.loss.perceptual_checkpoint)[0]
    assert set(run.state) == {"params"}
    # a run directory restores chosen parts of its state; a bundle holds the inference state only
    assert set(load_model(root / "run", paths=("params", "opt_state")).state) == {"params", "opt_state"}
    with pytest.raises(RunError, match="holds the inference state only"):
        load_model(bundle, paths=("params",))
    got = Redirector.from_workdir(bundle)(src["image"], tgt["gaze_head"], tgt["camera"])["image"]
    np.testing.assert_allclose(got, expected, atol=1e-6)

    half = tmp_path / "half.msgpack"
    assert main(["export", "--checkpoint", str(root / "run"), "--bundle", str(half), "--dtype", "float16"]) == 0
    assert half.stat().st_size < 0.6 * bundle.stat().st_size
    halved = load_model(half)
    assert all(x.dtype == np.float32 for x in jax.tree.leaves(halved.state))
    got_half = Redirector.from_workdir(half)(src["image"], tgt["gaze_head"], tgt["camera"])
    assert 0 < np.abs(got_half["image"] - expected).max() < 0.05  # rounded weights, same network

    face = tmp_path / "face.png"
    Image.fromarray((np.asarray(src["image"][0]) * 255).astype(np.uint8)).save(face)
    assert main(["redirect", "--checkpoint", str(bundle), "--image", str(face), "--gaze", "0.1,-0.2",
                 "--out", str(tmp_path / "out.png")]) == 0


def test_bad_bundles_get_one_line(trained_run, tmp_path, capsys):
    root, _, _, _ = trained_run
    garbage = tmp_path / "garbage.msgpack"
    garbage.write_bytes(b"\x00\x01not msgpack at all")
    with pytest.raises(RunError, match="garbage.msgpack is not an inference bundle"):
        load_model(garbage)
    bundle = tmp_path / "model.msgpack"
    assert main(["export", "--checkpoint", str(root / "run"), "--bundle", str(bundle)]) == 0
    with pytest.raises(RunError, match="holds a 'livegaze' model, not a mggr one"):
        load_model(bundle, method="mggr")
    with pytest.raises(RunError, match="bundle of one step"):
        load_model(bundle, best=True)
    capsys.readouterr()
    assert main(["export", "--checkpoint", str(root / "run"), "--bundle", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
