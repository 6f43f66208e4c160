"""The trainer on 8 fake CPU devices: sharded step, exact resume, outputs, NaN guard, CLI.

What happens when things go wrong (divergence, two trainers, damaged checkpoints,
signals, bad input) is in test_train_reliability.py.
"""

import functools
import json
import os
import pathlib

import jax
import numpy as np
import pytest
from PIL import Image

import toy_method
from gazejax.cli import main
from gazejax.data.pipeline import make_pipeline
from gazejax.train import sharding, trainer
from gazejax.train.config_loading import load_config
from gazejax.train.metrics_log import NonFiniteLossError, check_finite
from tensorboard_events import read_events

TESTS = pathlib.Path(__file__).parent
TOY = str(TESTS / "toy_config.py")


def _params(state):
    return jax.tree.map(np.asarray, jax.device_get(state.params))


def test_sharded_step_equals_single_device_step():
    config = load_config(TOY + ":tiny")
    mesh = sharding.make_mesh()
    data = make_pipeline(config.data, "train", global_batch_size=8, seed=0,
                         process_index=0, process_count=1)
    local = data.local_batch(0)
    key = jax.random.PRNGKey(1)
    step = functools.partial(trainer.training_step, config, toy_method.METHOD)

    one = jax.devices()[0]
    single_batch = jax.device_put(local, one)
    single_state = jax.jit(functools.partial(toy_method.init, config))(key, single_batch)
    single_state = jax.device_put(single_state, one)
    initial = _params(single_state)
    single, _ = jax.jit(step)(single_state, single_batch, key)

    repl, data_sh = sharding.replicated(mesh), sharding.data_sharding(mesh)
    batch = sharding.global_batch(mesh, local)
    state = jax.device_put(single_state, repl)
    sharded_step = jax.jit(step, in_shardings=(repl, data_sh, repl), out_shardings=(repl, repl),
                           donate_argnums=0)
    sharded, _ = sharded_step(state, batch, key)

    assert len(batch["source"]["image"].sharding.device_set) == 8
    assert int(sharded.step) == 1
    moved = jax.tree.map(lambda a, b: np.abs(a - b).max(), _params(sharded), initial)
    assert max(jax.tree.leaves(moved)) > 1e-3  # the step really changed the params
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5, rtol=0),
                 _params(sharded), _params(single))


def test_resume_is_exact_and_outputs_are_written_and_evaluated(tmp_path):
    config6 = load_config(TOY + ":tiny")
    straight = trainer.train(config6, tmp_path / "straight", progress=False)

    stopped = trainer.train(load_config(TOY + ":tiny", ["--config.num_steps=3"]),
                            tmp_path / "resumed", progress=False)
    assert int(stopped.step) == 3
    resumed = trainer.train(config6, tmp_path / "resumed", progress=False)
    assert int(resumed.step) == 6
    jax.tree.map(np.testing.assert_array_equal, _params(resumed), _params(straight))
    jax.tree.map(np.testing.assert_array_equal, jax.device_get(resumed.opt_state),
                 jax.device_get(straight.opt_state))

    workdir = tmp_path / "resumed"
    lines = [json.loads(x) for x in (workdir / "metrics.jsonl").read_text().splitlines()]
    train_loss = [x["loss"] for x in lines if x["split"] == "train"]
    assert [x["step"] for x in lines if x["split"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert train_loss[-1] < train_loss[0]  # the tiny config learns
    eval_mse = [x["mse"] for x in lines if x["split"] == "eval"]
    assert len(eval_mse) == 2 and eval_mse[1] < eval_mse[0]

    assert sorted(os.listdir(workdir / "checkpoints")) == ["3", "6"]
    grid = np.asarray(Image.open(workdir / "samples" / "step_0000006.png"))
    assert grid.shape == (3 * 4, 8 * 4, 3)  # rows: predicted, source, target; 8 columns of 4x4
    events = read_events(workdir / "tensorboard")
    assert {(s, t) for s, t, _ in events} >= {(1, "train/loss"), (6, "eval/mse"), (6, "samples")}
    assert json.loads((workdir / "config.json").read_text())["num_steps"] == 6

    latest = trainer.evaluate(config6, workdir)
    assert latest == {"step": 6, "mse": eval_mse[1]}
    assert json.loads((workdir / "eval.json").read_text()) == latest
    best = trainer.evaluate(config6, workdir, best=True)
    assert best["step"] == 6  # eval mse fell, so the last checkpoint is also the best


def test_nan_guard_names_step_and_term(tmp_path):
    with pytest.raises(NonFiniteLossError, match=r"step 3: loss term 'gaze' is nan"):
        check_finite(3, {"loss": float("nan"), "gaze": float("nan"), "mse": 0.5})
    config = load_config(TOY + ":tiny", ["--config.optim.diverge_at_step=2"])
    with pytest.raises(NonFiniteLossError, match=r"^step 3: loss term 'loss' is nan; no checkpoint saved$"):
        trainer.train(config, tmp_path, progress=False)


def test_cli_bad_input_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(TESTS)
    code = main(["train", "--config", "toy_config.py:tiny", "--workdir", str(tmp_path),
                 "--config.batch_size=12"])
    assert code == 2
    assert capsys.readouterr().err == (
        "gazejax train: error: batch_size 12 must be a positive multiple of the device count 8 "
        "(1 process(es))\n"
    )
