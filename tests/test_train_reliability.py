"""What happens when training goes wrong, one test (or group) per case, on the toy method.

1. divergence: nothing non-finite is saved, the best checkpoint survives retention, exit 1;
2. two trainers on one workdir: the second is refused at once; a dead one's lock is taken over;
3. a damaged newest checkpoint (a flipped bit in an array, a flipped byte in its index, a
   truncated file, garbled metadata) is reported in one line and the previous one used,
   by train, evaluate and load_model (which `gazejax redirect` uses);
5. SIGTERM/SIGINT: a checkpoint, then exit 75 (EXIT_INTERRUPTED), and a rerun resumes;
6. bad input is one line, before any work, and leaves the disk as it was.
"""

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
import tensorstore as ts

from gazejax.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from gazejax.run_loading import RunError, load_model
from gazejax.train import checkpointing, trainer
from gazejax.train.config_checks import check_config
from gazejax.train.config_loading import ConfigError, load_config

TESTS = pathlib.Path(__file__).parent
TOY = str(TESTS / "toy_config.py")
ROOT = TESTS.parent
PROGRESS = re.compile(r"\s*\d+%\|")  # tqdm's bar, also on stderr


def _train(workdir, *overrides, config=TOY + ":tiny"):
    return main(["train", "--config", config, "--workdir", str(workdir), *overrides])


def _steps(workdir):
    return sorted(int(p.name) for p in (pathlib.Path(workdir) / "checkpoints").iterdir())


def _one_error_line(capsys, command="train"):
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip() and not PROGRESS.match(x)]
    assert len(lines) == 1 and lines[0].startswith(f"gazejax {command}: error: "), err
    return lines[0].removeprefix(f"gazejax {command}: error: ")


def _gazejax(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
    code = "import sys; from gazejax.cli import main; sys.exit(main())"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=TESTS,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_logged_steps(proc, workdir, count):
    metrics = pathlib.Path(workdir) / "metrics.jsonl"
    deadline = time.time() + 300
    while not (metrics.exists() and len(metrics.read_text().splitlines()) >= count):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.2)


def _logged_train_steps(workdir):
    lines = (pathlib.Path(workdir) / "metrics.jsonl").read_text().splitlines()
    return [json.loads(x)["step"] for x in lines if json.loads(x)["split"] == "train"]


# 1. Divergence


def test_divergence_saves_nothing_and_the_best_checkpoint_survives(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run, "--config.keep_checkpoints=1") == EXIT_OK
    assert _steps(run) == [6]
    # Resumed with a checkpoint every step but logs every 100, as in the report: a rate
    # that makes the model worse at steps 7 and 8, then NaN params from step 9 on.
    resumed = ["--config.keep_checkpoints=1", "--config.num_steps=12", "--config.checkpoint_every=1",
               "--config.log_every=100", "--config.optim.lr=3.0", "--config.optim.diverge_at_step=9"]
    capsys.readouterr()
    assert _train(run, *resumed) == EXIT_FAILED
    assert _one_error_line(capsys) == (
        "training diverged: step 9: state.params.Dense_0.bias holds NaN; the newest checkpoint is step 8")
    assert _steps(run) == [6, 8]  # keep 1: the newest, and the best (6, before the rate went up)
    eval_mse = {x["step"]: x["mse"] for x in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
                if x["split"] == "eval"}
    assert sorted(eval_mse) == [3, 6, 7, 8] and eval_mse[6] < min(eval_mse[7], eval_mse[8])
    checkpoints = checkpointing.Checkpoints(run, keep=1, best_metric="mse", read_only=True)
    assert checkpoints.best_step() == 6
    checkpoints.close()

    # A rerun resumes from the last finite checkpoint (not from NaN) and stops the same way.
    assert _train(run, *resumed) == EXIT_FAILED
    assert "resuming from step 8" in capsys.readouterr().out
    assert _steps(run) == [6, 8]
    for step in (6, 8):
        params = load_model(run, step=step).state["params"]
        assert all(np.isfinite(x).all() for x in jax.tree.leaves(params))


def test_a_run_that_diverges_at_its_only_step_leaves_no_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run, "--config.num_steps=1", "--config.optim.diverge_at_step=1") == EXIT_FAILED
    assert _one_error_line(capsys) == (
        "training diverged: step 1: state.params.Dense_0.bias holds NaN; no checkpoint saved")
    assert _steps(run) == []
    with pytest.raises(RunError, match="no checkpoint"):  # so nothing can redirect with NaN weights
        load_model(run)


def test_a_nan_learning_rate_is_refused_before_any_work(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run) == EXIT_OK
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*")}
    capsys.readouterr()
    assert _train(run, "--config.num_steps=12", "--config.optim.lr=nan") == EXIT_USAGE
    assert _one_error_line(capsys) == "config field optim.lr must be finite, got nan"
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*")} == before


# 2. One trainer per workdir


def test_a_second_trainer_is_refused_at_once_and_the_log_stays_in_order(tmp_path, capsys):
    run = tmp_path / "run"
    first = _gazejax("train", "--config", "toy_config.py:tiny", "--workdir", str(run),
                     "--config.num_steps=100000", "--config.checkpoint_every=100000")
    _wait_for_logged_steps(first, run, 3)
    assert _train(run, "--config.num_steps=100000") == EXIT_USAGE
    holder = f"pid {first.pid} on {re.escape(socket.gethostname())} since [0-9T:-]+"
    assert re.fullmatch(f"workdir {re.escape(str(run))} is in use by {holder}; wait for it to end or "
                        r"stop it \(one trainer per workdir\)", _one_error_line(capsys))

    first.send_signal(signal.SIGINT)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == EXIT_INTERRUPTED, out
    stopped_at = int(out.split("stopped at step ")[1].split(";")[0])
    assert _logged_train_steps(run) == list(range(1, stopped_at + 1))  # one writer only
    assert (run / "train.lock").read_text() == ""  # released


def test_the_lock_of_a_killed_trainer_is_taken_over(tmp_path, capsys):
    run = tmp_path / "run"
    code = ("import os, signal, sys; from gazejax.train.workdir_lock import WorkdirLock; "
            "WorkdirLock(sys.argv[1]).__enter__(); os.kill(os.getpid(), signal.SIGKILL)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    dead = subprocess.Popen([sys.executable, "-c", code, str(run)], env=env)
    assert dead.wait(timeout=60) == -signal.SIGKILL
    left = (run / "train.lock").read_text()
    assert left.startswith(f"pid {dead.pid} on ")

    assert _train(run, "--config.num_steps=2") == EXIT_OK
    assert f"taking over {run / 'train.lock'} from {left}, which is no longer running" in capsys.readouterr().out
    assert _steps(run) == [2]


# 3. Damaged checkpoints


def _flip_a_bit_of_an_array(step_dir):
    """One bit of the stored kernel flipped, the files around it consistent: damage that no
    storage checksum sees, so orbax restores it silently."""
    stored = ts.open({"driver": "zarr", "kvstore": {
        "driver": "ocdbt", "base": f"file://{step_dir / 'train'}/", "path": "state.params.Dense_0.kernel/"}}).result()
    kernel = stored.read().result()
    kernel.view(np.uint32)[0, 0] ^= 1
    stored.write(kernel).result()


def _flip_a_byte_of_the_index(step_dir):
    """A flipped byte in the B-tree file that indexes the arrays."""
    (path,) = (step_dir / "train" / "d").iterdir()
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))


def _truncate(step_dir):
    """The arrays' data files cut short (which of them hold live data varies from run to run)."""
    for path in (step_dir / "train" / "ocdbt.process_0" / "d").iterdir():
        if path.stat().st_size > 1024:
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _garble_metadata(step_dir):
    metadata = step_dir / "train" / "_METADATA"
    metadata.write_text(metadata.read_text()[:1000])  # a write cut short


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 6-step run (checkpoints 3 and 6) and the params of a straight 9-step run."""
    root = tmp_path_factory.mktemp("trained")
    trainer.train(load_config(TOY + ":tiny"), root / "run", progress=False)
    straight = trainer.train(load_config(TOY + ":tiny", ["--config.num_steps=9"]), root / "nine",
                             progress=False)
    return root / "run", jax.device_get(straight.params)


@pytest.mark.parametrize("damage, fault", [
    (_flip_a_bit_of_an_array, r"is corrupted: state\.params\.Dense_0\.kernel does not match its checksum"),
    (_flip_a_byte_of_the_index, r"is unreadable: its index: DATA_LOSS: .* CRC-32C checksum verification failed: .*"),
    (_truncate, r"is unreadable: state\.[\w.]+/[\d.]+: OUT_OF_RANGE: .*"),
    (_garble_metadata, r"is unreadable: {step_dir}/train/_METADATA is not valid JSON \(JSONDecodeError: .*\)"),
])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(trained, tmp_path, capsys, damage, fault):
    original, straight_params = trained
    run = tmp_path / "run"
    shutil.copytree(original, run)
    step_dir = run / "checkpoints" / "6"
    damage(step_dir)
    reported = re.escape(f"checkpoint 6 in {run / 'checkpoints'} ") + fault.format(step_dir=re.escape(str(step_dir)))

    def one_fallback_line(err, ending):
        lines = [x for x in err.splitlines() if x.strip() and not PROGRESS.match(x)]
        assert len(lines) == 1 and re.fullmatch(reported + re.escape(ending), lines[0]), lines

    assert trainer.evaluate(load_config(TOY + ":tiny"), run)["step"] == 3
    one_fallback_line(capsys.readouterr().err, "; using checkpoint 3")
    assert load_model(run).step == 3
    one_fallback_line(capsys.readouterr().err, "; using checkpoint 3")
    assert _steps(run) == [3, 6]  # reading moves nothing

    assert _train(run, "--config.num_steps=9") == EXIT_OK
    out, err = capsys.readouterr()
    one_fallback_line(err, f"; using checkpoint 3; moved to {run / 'unreadable_checkpoints' / '6'}")
    assert "resuming from step 3" in out and "finished at step 9" in out
    assert _steps(run) == [6, 9]  # a fresh, intact 6 from the resumed run
    resumed = load_model(run, step=9).state["params"]
    jax.tree.map(np.testing.assert_array_equal, jax.device_get(resumed), straight_params)


def test_no_intact_checkpoint_is_one_line_and_moves_nothing(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained[0], run)
    _flip_a_bit_of_an_array(run / "checkpoints" / "6")
    _truncate(run / "checkpoints" / "3")
    assert _train(run, "--config.num_steps=9") == EXIT_USAGE
    message = _one_error_line(capsys)
    assert message.startswith(f"checkpoint 6 in {run / 'checkpoints'} is corrupted")
    assert message.endswith("; none of the 1 earlier ones is intact either")
    assert _steps(run) == [3, 6] and not (run / "unreadable_checkpoints").exists()


def test_a_checkpoint_of_another_model_is_a_mismatch_not_damage(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained[0], run)
    assert _train(run, "--config.num_steps=9", "--config.data.resolution=8") == EXIT_USAGE
    assert _one_error_line(capsys) == (
        f"checkpoint 6 in {run / 'checkpoints'} does not fit this config's model: "
        "state.opt_state.0.mu.Dense_0.bias has shape (48,), this config builds (192,)")
    assert _steps(run) == [3, 6]


# 5. Signals


def test_sigterm_saves_then_exits_interrupted_and_a_rerun_resumes(tmp_path):
    workdir = str(tmp_path / "run")
    args = ["train", "--config", "toy_config.py:tiny", "--workdir", workdir,
            "--config.num_steps=100000", "--config.checkpoint_every=100000"]
    proc = _gazejax(*args)
    _wait_for_logged_steps(proc, workdir, 3)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED == 75, out
    assert "finished" not in out
    stopped_at = int(out.split("stopped at step ")[1].split("; checkpoint saved, rerun to resume")[0])
    assert os.listdir(pathlib.Path(workdir) / "checkpoints") == [str(stopped_at)]

    args[args.index("--config.num_steps=100000")] = f"--config.num_steps={stopped_at + 2}"
    proc = _gazejax(*args)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_OK
    assert f"resuming from step {stopped_at}" in out
    assert f"finished at step {stopped_at + 2}" in out


# 6. Bad input


@pytest.mark.parametrize("override, message", [
    ("--config.log_every=0", "config field log_every must be an integer >= 1, got 0"),
    ("--config.checkpoint_every=0", "config field checkpoint_every must be an integer >= 1, got 0"),
    ("--config.num_steps=0", "config field num_steps must be an integer >= 1, got 0"),
    ("--config.keep_checkpoints=0", "config field keep_checkpoints must be an integer >= 1, got 0"),
    ("--config.sample_every=-1", "config field sample_every must be an integer >= 0, got -1"),
    ("--config.eval.num_batches=-1", "config field eval.num_batches must be an integer >= 0, got -1"),
    ("--config.optim.lr=-0.1", "config field optim.lr is a learning rate and must be >= 0, got -0.1"),
    ("--config.optim.lr=inf", "config field optim.lr must be finite, got inf"),
    ("--config.best_mode=lowest", "config field best_mode must be one of min, max, got 'lowest'"),
])
def test_config_out_of_range_is_one_line_before_the_workdir_is_touched(tmp_path, capsys, override, message):
    assert _train(tmp_path / "run", override) == EXIT_USAGE
    assert _one_error_line(capsys) == message
    assert not (tmp_path / "run").exists()


def test_an_unknown_compute_dtype_is_one_line_before_the_workdir_is_touched(tmp_path, capsys):
    assert _train(tmp_path / "run", "--config.compute_dtype=float16", config="configs/l2cs.py:tiny") == EXIT_USAGE
    assert _one_error_line(capsys) == "config field compute_dtype must be one of float32, bfloat16, got 'float16'"
    assert not (tmp_path / "run").exists()


def test_every_shipped_config_passes_the_checks():
    for path in sorted((ROOT / "configs").glob("*.py")):
        for variant in ("paper", "tiny"):
            check_config(load_config(f"{path}:{variant}"))
    with pytest.raises(ConfigError, match="the config lacks the standard field log_every"):
        config = load_config(TOY + ":tiny")
        with config.unlocked():
            del config["log_every"]
        check_config(config)


def test_unusable_outputs_are_one_line(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert _train(a_file) == EXIT_USAGE
    assert _one_error_line(capsys) == f"workdir {a_file} is a file, not a directory"
    assert _train(a_file / "run") == EXIT_USAGE
    assert _one_error_line(capsys) == f"cannot write to workdir {a_file / 'run'}: Not a directory ({a_file / 'run'})"
    # a dataset rendered on first use (l2cs's SynthGaze), into a data.dir that cannot be written
    assert _train(tmp_path / "run", f"--config.data.dir={a_file / 'data'}",
                  config=str(ROOT / "configs" / "l2cs.py") + ":tiny") == EXIT_USAGE
    message = _one_error_line(capsys)
    assert message == f"cannot prepare the data in data.dir '{a_file / 'data'}': Not a directory: {a_file / 'data'}"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_workdir_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert _train(locked / "run") == EXIT_USAGE
    assert _one_error_line(capsys).startswith(f"cannot write to workdir {locked / 'run'}: Permission denied")


def test_evaluate_a_missing_run_says_so_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "missing" / "run"
    assert main(["evaluate", "--config", TOY + ":tiny", "--workdir", str(missing)]) == EXIT_USAGE
    assert _one_error_line(capsys, "evaluate") == f"{missing} is not a training run directory (no config.json)"
    assert not (tmp_path / "missing").exists()


def test_a_run_of_another_method_is_named(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"method": "mggr"}))
    for command in ("evaluate", "train"):
        assert main([command, "--config", TOY + ":tiny", "--workdir", str(run)]) == EXIT_USAGE
        assert _one_error_line(capsys, command) == f"{run} holds a 'mggr' run, not a toy_method one"
    assert sorted(os.listdir(run)) == ["config.json"]


def test_checkpoints_between_log_steps_are_ranked_by_their_own_step(tmp_path):
    # checkpoint_every below log_every, no eval_step: the first checkpoint comes before any logged
    # metrics, so it must be ranked by the metrics of its own step
    config = load_config(TOY + ":tiny", ["--config.method=toy_method_without_eval", "--config.log_every=100",
                                         "--config.checkpoint_every=1", "--config.num_steps=3",
                                         "--config.best_metric=loss", "--config.keep_checkpoints=1"])
    trainer.train(config, tmp_path / "run", progress=False)
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    checkpoints = checkpointing.Checkpoints(tmp_path / "run", keep=1, best_metric="loss", read_only=True)
    try:
        assert checkpoints.latest_step() == 3
        assert checkpoints.best_step() in checkpoints.all_steps()
    finally:
        checkpoints.close()
    assert len(losses) == 1  # only the last step was logged: the ranking did not come from the log
