"""MGGR training: the :tiny losses fall, stage 2 leaves MGGR-C alone, trainer end to end."""

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.convert import load_frozen
from gazejax.evaluation.protocol import REPORT_KEYS
from gazejax.methods.mggr.gazemap import gazemap
from gazejax.methods.mggr import training as mggr
from gazejax.train import config_loading, trainer

PATCH = 64


def _patch(gaze, skin):
    """A cartoon eye: skin, a sclera ellipse and a dark iris placed by Eq. 5."""
    maps = np.asarray(gazemap(jnp.asarray(gaze), PATCH, PATCH))
    y, x = np.mgrid[:PATCH, :PATCH] + 0.5
    sclera = ((x - 32) / 26) ** 2 + ((y - 32) / 14) ** 2 <= 1
    image = np.where(sclera[..., None], 0.95, skin)
    image = np.where((maps[..., 1] * sclera)[..., None] > 0, [0.25, 0.15, 0.1], image)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def fake_patch_source(data_config, split, data_dir):
    """``data.builder`` hook: eye-patch records (the SynthGaze keys MGGR reads)."""
    del data_dir
    count = data_config.identities if split == "train" else data_config.test_identities
    rng = np.random.default_rng(0 if split == "train" else 1)
    records = []
    for identity in range(count):
        skin = rng.uniform(0.4, 0.8, size=3)
        for frame in range(data_config.frames):
            gaze = rng.uniform(-0.4, 0.4, size=2).astype(np.float32)
            for view in range(data_config.views):
                mirrored = gaze * np.float32([1, -1])
                records.append(dict(
                    left_eye_patch=_patch(gaze, skin), right_eye_patch=_patch(mirrored, skin),
                    left_eye_patch_gaze=gaze, right_eye_patch_gaze=mirrored,
                    head_pose=np.float32([0.0, 0.1 * view]),
                    identity=np.int32(identity), frame=np.int32(frame), view=np.int32(view),
                ))
    return records


def _config(variant="tiny", *overrides):
    return config_loading.load_config(
        f"configs/mggr.py:{variant}",
        ["data.builder=test_mggr_train:fake_patch_source", *overrides],
    )


def _batch(config):
    pipe = trainer.pipeline_lib.make_pipeline(
        config.data, "train", global_batch_size=config.batch_size, seed=0,
        process_index=0, process_count=1)
    return jax.tree.map(jnp.asarray, pipe.local_batch(0))


def _trees_equal(a, b):
    return all(bool(jnp.array_equal(x, y)) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_tiny_losses_fall_and_stage_two_leaves_the_encoder_decoder_unchanged():
    steps = 8
    config = _config("tiny", f"schedule.coarse_steps={steps}", f"schedule.fine_steps={steps}",
                     f"num_steps={2 * steps}", "optim.coarse_lr=0.003", "optim.lr=0.001",
                     f"optim.constant_steps={2 * steps}")
    batch = _batch(config)
    state = jax.jit(lambda k, b: mggr.init(config, k, b))(jax.random.PRNGKey(0), batch)

    @functools.partial(jax.jit, static_argnums=2)
    def step(state, batch, phase):
        new, metrics = mggr.train_step(config, state, batch, jax.random.PRNGKey(1), phase)
        return new.replace(step=state.step + 1), metrics

    history = []
    for i in range(steps):
        state, metrics = step(state, batch, mggr.phase(config, i))
        history.append(jax.device_get(metrics))
    assert all(m["stage"] == 1 for m in history)
    assert history[-1]["coarse_recon"] < 0.8 * history[0]["coarse_recon"]

    coarse_before = state.params["coarse"]
    coarse_opt_before = state.opt_state["coarse"]
    generator_before = state.params["generator"]
    discriminator_before = state.params["discriminator"]
    fine = []
    for i in range(steps, 2 * steps):
        state, metrics = step(state, batch, mggr.phase(config, i))
        fine.append(jax.device_get(metrics))
    assert all(m["stage"] == 2 for m in fine)
    # L_G and L_D never update the encoder-decoder (nor its optimizer state)...
    assert _trees_equal(state.params["coarse"], coarse_before)
    assert _trees_equal(state.opt_state["coarse"], coarse_opt_before)
    # ...while G and D do train
    assert not _trees_equal(state.params["generator"], generator_before)
    assert not _trees_equal(state.params["discriminator"], discriminator_before)
    # the supervised gaze head of D learns the target labels
    assert fine[-1]["d_gaze"] < 0.7 * fine[0]["d_gaze"]
    assert all(np.isfinite(v) for m in fine for v in m.values())


def test_bad_batches_fail_with_one_line_errors():
    config = _config()
    batch = _batch(config)
    with pytest.raises(ValueError, match="data.pairs"):
        mggr.check_batch(config, batch["source"])
    bad = _config("tiny", "model.patch_size=17")
    with pytest.raises(ValueError, match="patch_size 17"):
        mggr.check_batch(bad, batch)
    mismatched = _config("tiny", "num_steps=5")
    with pytest.raises(ValueError, match="num_steps 5"):
        mggr.check_batch(mismatched, batch)


@pytest.mark.parametrize("variant", ["ablation=no_flow", "ablation=no_gazemap", "ablation=no_residual",
                                     "ablation=coarse_only", "ablation=no_perceptual",
                                     "synthgaze,ablation=no_flow"])
def test_ablation_variants_change_what_the_paper_says(variant):
    paper = config_loading.load_config("configs/mggr.py:paper")
    config = config_loading.load_config(f"configs/mggr.py:{variant}")
    changed = {
        k for k in ("predict_flow", "use_gazemap", "residual") if config.model[k] != paper.model[k]
    }
    expected = {"ablation=no_flow": {"predict_flow"}, "ablation=no_gazemap": {"use_gazemap"},
                "ablation=no_residual": {"residual"}, "synthgaze,ablation=no_flow": {"predict_flow"}}
    assert changed == expected.get(variant, set())
    assert (config.schedule.fine_steps == 0) == (variant == "ablation=coarse_only")
    assert (config.loss.g_feature == 0) == (variant == "ablation=no_perceptual")
    assert (config.data.builder == "synthgaze") == variant.startswith("synthgaze")


def test_tiny_trains_and_evaluates_through_the_trainer(tmp_path):
    config = _config("tiny", "log_every=1")
    with pytest.warns(UserWarning, match="perceptual_checkpoint"):
        state = trainer.train(config, tmp_path, progress=False)
    lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    train = [l for l in lines if l.get("split", "train") == "train"]
    stages = [l["stage"] for l in train]
    assert stages == [1.0] * 6 + [2.0] * 6
    assert (tmp_path / "samples").is_dir()

    results = trainer.evaluate(config, tmp_path)
    assert json.loads((tmp_path / "eval.json").read_text()) == results
    assert tuple(results) == ("method", "step", *REPORT_KEYS) and results["method"] == "mggr"
    assert results["pairs"] == 2 * config.batch_size  # both eyes
    assert sum(b["pairs"] for b in results["buckets"]) == results["pairs"]
    assert all(b["redirection_deg"] % 5 == 0 and b["redirection_deg"] <= 50 for b in results["buckets"])
    assert list(results["rows"]) == ["do_nothing", "coarse", "output", "target"]
    for name in ("do_nothing", "coarse", "output"):
        assert np.isfinite(results["rows"][name]["psnr"])

    # inference restores the coarse and refiner networks only, and redirects as training does
    from gazejax.methods.mggr.inference import EyeRedirector

    redirector = EyeRedirector.from_workdir(tmp_path)
    assert set(redirector.params) == {"coarse", "generator"}
    pairs = mggr.patch_pairs(config, _batch(config))
    angles = (pairs["head_pose"], pairs["source_gaze"], pairs["target_gaze"])
    expected = mggr.redirect(config, state.params, pairs["source"], *angles)["refined"]
    np.testing.assert_allclose(redirector(pairs["source"], *angles), np.clip(expected, 0, 1), atol=1e-5)
    with pytest.raises(ValueError, match="eye patches must be"):
        redirector(pairs["source"][..., :2], *angles)


def test_perceptual_terms_load_a_converted_vgg16_under_jit(tmp_path):
    from gazejax import convert
    from gazejax.models.perceptual import VGGFeatures

    vgg = jax.jit(VGGFeatures(layers=("conv5_3",), resize_to=None).init)(
        jax.random.PRNGKey(3), jnp.zeros((1, 16, 16, 3)))
    convert.save(tmp_path / "vgg", {"network": "vgg16", "input_size": 224}, vgg)
    config = _config("tiny", f"loss.perceptual_checkpoint={tmp_path / 'vgg'}")
    batch = _batch(config)
    # the trainer traces init (eval_shape, jit): the checkpoint must load there
    abstract = jax.eval_shape(lambda k, b: mggr.init(config, k, b), jax.random.PRNGKey(0), batch)
    assert "perceptual" in abstract.extra
    extra = {"perceptual": load_frozen(config.loss.perceptual_checkpoint)[1]}
    content, style = jax.jit(mggr._feature_fn(config, extra))(jnp.ones((2, 16, 16, 3)))
    assert content.shape == (2, 1, 1, 512)
    assert [s.shape[-1] for s in style] == [64, 128, 256, 512]
