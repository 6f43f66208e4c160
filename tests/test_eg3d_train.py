"""EG3D training: ``:tiny`` through the trainer, schedules as pure functions of the step, exact resume."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.geometry import camera_label
from gazejax.methods.eg3d import schedules, training
from gazejax.methods.eg3d.inference import FaceSampler
from gazejax.methods.eg3d.losses import blur_images
from gazejax.train import config_loading, trainer


def camera_source(data_config, split, data_dir):
    """``data.builder`` hook: records with ``image`` and a valid EG3D ``camera`` label."""
    del data_dir
    rng = np.random.default_rng(0 if split == "train" else 1)
    r = data_config.resolution
    y, x = np.mgrid[:r, :r] / r
    records = []
    for i in range(8):
        yaw, pitch = rng.uniform(-0.4, 0.4), rng.uniform(-0.2, 0.2)
        blob = np.exp(-((x - 0.5 - yaw / 2) ** 2 + (y - 0.5 + pitch / 2) ** 2) * 20)
        image = np.stack([blob, blob * 0.7, 1 - blob], -1)
        records.append({"image": (image * 255).astype(np.uint8),
                        "camera": np.asarray(camera_label(yaw, pitch), np.float32)})
    return records


def _config(*overrides):
    return config_loading.load_config("configs/eg3d.py:tiny",
                                      ["data.builder=test_eg3d_train:camera_source", *overrides])


def _metrics(workdir):
    lines = [json.loads(l) for l in (workdir / "metrics.jsonl").read_text().splitlines()]
    return [l for l in lines if l.get("split", "train") == "train"]


def test_tiny_trains_through_the_trainer_and_resumes_every_schedule_exactly(tmp_path):
    config = _config()
    trainer.train(config, tmp_path / "whole", progress=False)
    whole = _metrics(tmp_path / "whole")
    assert [m["step"] for m in whole] == [1, 2, 3, 4]
    assert all(math.isfinite(v) for m in whole for k, v in m.items() if isinstance(v, float))
    assert all(m["g_density"] > 0 and m["d_r1"] > 0 for m in whole)  # :tiny regularises every step
    assert whole[0]["swap_probability"] == 1.0 and whole[-1]["swap_probability"] == pytest.approx(0.5)
    assert (tmp_path / "whole" / "samples").is_dir()

    # stop after 2 steps (a checkpoint), then a second run resumes to 4
    trainer.train(_config("num_steps=2"), tmp_path / "resumed", progress=False)
    trainer.train(config, tmp_path / "resumed", progress=False)
    resumed = _metrics(tmp_path / "resumed")
    assert [m["step"] for m in resumed] == [1, 2, 3, 4]
    for a, b in zip(whole, resumed):
        for key in training.METRICS:
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), (a["step"], key)

    faces = FaceSampler.from_workdir(tmp_path / "whole")([0, 1], 0.3, 0.1)
    assert faces["image"].shape == (2, 128, 128, 3) and faces["image_depth"].shape == (2, 16, 16, 1)
    assert float(faces["image"].min()) >= 0 and float(faces["image"].max()) <= 1


def test_schedules_are_functions_of_the_step():
    config = config_loading.load_config("configs/eg3d.py:paper")
    b = config.batch_size
    assert float(schedules.blur_sigma(config, 0)) == 10.0
    assert float(schedules.blur_sigma(config, 100_000 // b)) == pytest.approx(5.0)
    assert float(schedules.blur_sigma(config, 10 ** 6)) == 0.0
    assert float(schedules.swap_probability(config, 0)) == 1.0
    assert float(schedules.swap_probability(config, 500_000 // b)) == pytest.approx(0.75)
    assert float(schedules.swap_probability(config, 10 ** 6)) == pytest.approx(0.5)
    assert schedules.neural_rendering_resolution(config, 0) == 64
    assert schedules.neural_rendering_resolution(config, 500_000 // b) == 96
    assert schedules.neural_rendering_resolution(config, 10 ** 6) == 128
    # EMA: ramp-up limits the half-life to 5% of the images shown, then 10 kimg
    assert float(schedules.ema_beta(config, 100)) == pytest.approx(0.5 ** (b / (100 * b * 0.05)))
    assert float(schedules.ema_beta(config, 10 ** 5)) == pytest.approx(0.5 ** (b / 10_000))
    assert schedules.regularization_phase(config, 16) == (True, True)
    assert schedules.regularization_phase(config, 4) == (True, False)
    assert schedules.regularization_phase(config, 3) == (False, False)
    lr, betas = schedules.lazy_adam_settings(0.002, (0.0, 0.99), 16)
    assert lr == pytest.approx(0.002 * 16 / 17) and betas == (0.0, pytest.approx(0.99 ** (16 / 17)))


@pytest.mark.parametrize("sigma", [2.5, 1.0, 0.2])
def test_blur_equals_eg3ds_shorter_filter(sigma):
    """Zero taps beyond floor(3 sigma) give EG3D's own filter of that length (and no blur below 1/3)."""
    images = jax.random.normal(jax.random.key(0), (1, 12, 12, 2))
    got = blur_images(images, jnp.float32(sigma), max_sigma=3.0)
    size = math.floor(sigma * 3)
    if size == 0:
        np.testing.assert_allclose(got, images, atol=1e-6)
        return
    taps = np.exp2(-np.square(np.arange(-size, size + 1) / sigma))
    kernel = np.outer(taps, taps) / taps.sum() ** 2
    padded = np.pad(np.asarray(images), ((0, 0), (size, size), (size, size), (0, 0)))
    want = np.zeros_like(np.asarray(images))
    for i in range(2 * size + 1):
        for j in range(2 * size + 1):
            want += kernel[i, j] * padded[:, i:i + 12, j:j + 12]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_blur_is_skipped_once_faded():
    """A faded blur leaves D's input untouched: an impulse filter would still spread 0 * inf = NaN."""
    images = jnp.zeros((1, 8, 8, 1)).at[0, 4, 4, 0].set(jnp.inf)
    blur = jax.jit(blur_images, static_argnames="max_sigma")
    passed = np.asarray(blur(images, jnp.float32(0.0), max_sigma=1.0))
    assert np.isinf(passed[0, 4, 4, 0]) and np.isfinite(np.delete(passed.ravel(), 4 * 8 + 4)).all()
    blurred = np.asarray(blur(images, jnp.float32(1.0), max_sigma=1.0))
    assert not np.isfinite(blurred[0, 4, 5, 0])  # while it fades, the filter runs


def test_resume_from_a_snapshot_of_another_size_names_the_differing_key(tmp_path):
    from gazejax.convert import save
    from gazejax.methods.eg3d.converted import abstract_variables, generator_from_info

    config = _config()
    generator, _ = training.build_models(config)
    m = config.model
    info = {"network": "eg3d", "generator": {
        "backbone": dict(generator.backbone), "decoder_hidden": m.decoder_hidden * 2, "sr_variant": m.sr_variant,
        "sr_widths": list(m.sr_widths), "neural_rendering_resolution": 16}}
    # the same sizes pass, whatever neural rendering resolution the snapshot was saved at
    same = dict(info["generator"], decoder_hidden=m.decoder_hidden, neural_rendering_resolution=128)
    training.check_resumed_shapes("same", "generator", abstract_variables(generator, None)["G"],
                                  abstract_variables(generator_from_info({"generator": same}), None)["G"])
    abstract = abstract_variables(generator_from_info(info), None)
    save(tmp_path / "snapshot", info, jax.tree.map(lambda a: np.zeros(a.shape, a.dtype), abstract))
    with config.unlocked():
        config.model.resume = str(tmp_path / "snapshot")
    batch = {"image": np.zeros((8, 32, 32, 3), np.float32),
             "camera": np.tile(np.asarray(camera_label(0.0, 0.0), np.float32), (8, 1))}
    # the first differing key, in one line: the decoder's first bias, twice as wide in the snapshot
    with pytest.raises(ValueError, match=r"model.resume .*: generator params/decoder/net_0/bias is \(16,\) "
                                         r"in the snapshot but \(8,\) under config.model"):
        # traced, not run: the check stops the init before anything compiles
        jax.jit(lambda key: training.init(config, key, batch))(jax.random.key(0))


def test_bfloat16_generator_and_discriminator_compute_in_bfloat16_near_float32():
    config = _config()
    generator, discriminator = training.build_models(config)
    with config.unlocked():
        config.compute_dtype = "bfloat16"
    half_generator, half_discriminator = training.build_models(config)
    c = np.tile(np.asarray(camera_label(0.1, 0.0), np.float32), (2, 1))
    z = np.random.default_rng(0).normal(size=(2, config.model.z_dim)).astype(np.float32)
    g_vars = generator.init({"params": jax.random.key(1), "noise": jax.random.key(2)}, z, c, c)

    def draw(g):
        return jax.jit(lambda v: g.apply(v, z, c, c, noise_mode="const"))

    full, half = draw(generator)(g_vars), draw(half_generator)(g_vars)
    for name in ("image", "image_raw", "image_depth"):
        assert half[name].dtype == np.float32  # outputs leave as float32
        error = np.abs(np.asarray(half[name]) - np.asarray(full[name])).mean()
        assert error < 0.02 * np.abs(np.asarray(full[name])).mean(), name
    hlo = jax.jit(lambda v: half_generator.apply(v, z, c, c, noise_mode="const")).lower(g_vars).as_text()
    convolutions = [line for line in hlo.splitlines() if "stablehlo.convolution" in line]
    assert convolutions and all("xbf16>" in line for line in convolutions)

    images = {"image": full["image"], "image_raw": full["image_raw"]}
    d_vars = discriminator.init(jax.random.key(3), images, c)
    logits, half_logits = discriminator.apply(d_vars, images, c), half_discriminator.apply(d_vars, images, c)
    assert half_logits.dtype == np.float32
    np.testing.assert_allclose(half_logits, logits, atol=0.02 * float(np.abs(logits).max()))


def test_a_trained_run_starts_a_fine_tuning_run_with_its_ema_generator_and_discriminator(tmp_path):
    """``model.resume`` takes an EG3D run of ours, as the SynthGaze Table 2 fine-tunes start from a baseline."""
    from gazejax.train.checkpointing import restore_subtrees

    # after 2 steps the EMA weights differ from the raw ones (at step 1 the ramp-up makes them equal)
    trainer.train(_config("num_steps=2"), tmp_path / "base", progress=False)
    saved = restore_subtrees(tmp_path / "base", 2, ("ema_params", "params", "extra.buffers"))
    config = _config(f"model.resume={tmp_path / 'base'}")
    batch = {"image": np.zeros((8, 32, 32, 3), np.float32),
             "camera": np.tile(np.asarray(camera_label(0.0, 0.0), np.float32), (8, 1))}
    state = training.init(config, jax.random.key(7), batch)
    same = lambda a, b: jax.tree.all(jax.tree.map(np.array_equal, a, b))  # noqa: E731
    # the EMA generator (not the raw one) with its w_avg, and the discriminator
    assert not same(saved["ema_params"], saved["params"]["generator"])
    assert same(state.params["generator"], saved["ema_params"]) and same(state.ema_params, saved["ema_params"])
    assert same(state.extra["buffers"], saved["extra"]["buffers"])
    assert same(state.params["discriminator"], saved["params"]["discriminator"])
    assert int(state.step) == 0  # schedules and optimizer start afresh, as from a release

    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"method": "livegaze"}))
    with pytest.raises(ValueError, match="holds a 'livegaze' run, not a eg3d one"):
        training.init(_config(f"model.resume={other}"), jax.random.key(7), batch)
