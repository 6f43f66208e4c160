"""Bad command-line input gets one line on stderr and exit code 2, before any work, and writes nothing.

One table of bad command lines (most used to end in a traceback, some only
after all the work was done); every row runs through ``gazejax.cli.main`` and
must print exactly one ``gazejax COMMAND: error: ...`` line naming the
problem, and leave no output behind.
"""

import json
import pathlib
import sys

import h5py
import jax
import numpy as np
import pytest
from PIL import Image

import livegaze_tiny
from gazejax.cli import main
from gazejax.methods.livegaze import training as livegaze
from gazejax.train import checkpointing
from gazejax.train.config_loading import load_config
from random_judge import save_random_judge
from test_inference_inputs import png_header_only

CONFIGS = pathlib.Path(__file__).resolve().parent.parent / "configs"


def _config_only_run(directory, config):
    directory.mkdir()
    (directory / "config.json").write_text(config.to_json_best_effort())


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """Runs, images and files the command lines of the table refer to, by name."""
    root = tmp_path_factory.mktemp("bad_input")
    config = livegaze_tiny.config()
    batch = livegaze_tiny.pair_batch()
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    _config_only_run(root / "livegaze_run", config)
    saved = checkpointing.Checkpoints(root / "livegaze_run", keep=1)
    saved.save(state, jax.random.key(1), 0)
    saved.close()
    # these runs are refused before anything is restored: their config.json is all they need
    _config_only_run(root / "gazenerf_run", load_config(f"{CONFIGS / 'gazenerf.py'}:tiny"))
    _config_only_run(root / "mggr_run", load_config(f"{CONFIGS / 'mggr.py'}:tiny"))
    Image.fromarray((np.asarray(batch["source"]["image"][0]) * 255).astype(np.uint8)).save(root / "face.png")
    png_header_only(root / "bomb.png", 20000, 20000)  # 400 M pixels: a decompression bomb
    with h5py.File(root / "other.h5", "w") as f:
        f["face_patch"] = np.zeros((1, 8, 8, 3), np.uint8)
    (root / "a_directory").mkdir()
    (root / "a_file").write_text("")
    return {
        "root": str(root), "livegaze_run": str(root / "livegaze_run"),
        "gazenerf_run": str(root / "gazenerf_run"), "mggr_run": str(root / "mggr_run"),
        "judge": save_random_judge(root / "judge", 32),
        "face": str(root / "face.png"), "bomb": str(root / "bomb.png"), "other_h5": str(root / "other.h5"),
        "dir": str(root / "a_directory"), "file": str(root / "a_file"),
    }


# (id, command line with {name} placeholders, part of the error line, output that must not appear)
TABLE = [
    ("redirect_missing_h5",
     "redirect --checkpoint {gazenerf_run} --h5 {root}/missing.h5 --gaze=0,0 --out {root}/o.png",
     "no such GazeNeRF h5 file", "{root}/o.png"),
    ("redirect_png_as_h5", "redirect --checkpoint {gazenerf_run} --h5 {face} --gaze=0,0 --out {root}/o.png",
     "is not a readable HDF5 file", "{root}/o.png"),
    ("redirect_h5_of_another_layout",
     "redirect --checkpoint {gazenerf_run} --h5 {other_h5} --gaze=0,0 --out {root}/o.png",
     "is not a GazeNeRF h5 file: missing head_mask", "{root}/o.png"),
    ("redirect_h5_on_a_livegaze_run",
     "redirect --checkpoint {livegaze_run} --h5 {other_h5} --gaze=0,0 --out {root}/o.png",
     "is a livegaze run, which takes no --h5", "{root}/o.png"),
    ("redirect_negative_fit_steps",
     "redirect --checkpoint {gazenerf_run} --fit-steps -1 --gaze=0,0 --out {root}/o.png",
     "--fit-steps must be at least 1, got -1", "{root}/o.png"),
    ("redirect_negative_index", "redirect --checkpoint {gazenerf_run} --index -2 --gaze=0,0 --out {root}/o.png",
     "--index must be 0 or more, got -2", "{root}/o.png"),
    ("bench_zero_runs", "bench synthgaze --runs 0 --json {root}/b.json", "--runs must be at least 1, got 0",
     "{root}/b.json"),
    ("bench_json_is_a_directory", "bench synthgaze --quick --json {dir}", "--json {dir} is a directory", None),
    ("estimate_json_below_a_file", "estimate --checkpoint {judge} --images {face} --json {file}/gaze.json",
     "{file} is a file, not a folder", None),
    ("redirect_out_is_a_directory", "redirect --checkpoint {livegaze_run} --image {face} --gaze=0,0 --out {dir}",
     "--out {dir} is a directory; give a file name", None),
    ("redirect_out_without_image_suffix", "redirect --checkpoint {livegaze_run} --image {face} --gaze=0,0 "
     "--out {root}/o", "cannot tell an image format from the suffix (none)", "{root}/o"),
    ("redirect_decompression_bomb",
     "redirect --checkpoint {livegaze_run} --image {bomb} --gaze=0,0 --out {root}/o.png",
     "too large to decode", "{root}/o.png"),
    ("estimate_decompression_bomb", "estimate --checkpoint {judge} --images {bomb}", "too large to decode", None),
    ("synthgaze_preview_is_a_directory", "synthgaze --preview {dir}", "--preview {dir} is a directory", None),
    ("convert_a_png", "convert xgaze-resnet50 {face} --out {root}/converted",
     "is not a readable PyTorch checkpoint: neither a zip archive nor a pickle", "{root}/converted"),
    ("convert_out_is_a_file", "convert xgaze-resnet50 {face} --out {file}", "--out {file} is a file", None),
    ("redirect_an_mggr_run", "redirect --checkpoint {mggr_run} --image {face} --input crop --gaze=0,0 "
     "--out {root}/o.png", "holds a 'mggr' run; redirect works with livegaze, gazenerf runs", "{root}/o.png"),
    # to an MGGR run any image is a whole photo, square or not: this one holds no face it can find
    ("redirect_an_mggr_run_a_crop", "redirect --checkpoint {mggr_run} --image {face} --gaze=0,0 --out {root}/o.png",
     "no face found in", "{root}/o.png"),
    ("redirect_gazenerf_flag_mismatch", "redirect --checkpoint {livegaze_run} --method gazenerf --gaze=0,0 "
     "--out {root}/o.png", "--method gazenerf, but", "{root}/o.png"),
    ("train_png_as_config", "train --config {face} --workdir {root}/train_run", "face.png", "{root}/train_run"),
    ("evaluate_png_as_config", "evaluate --config {face} --workdir {root}/eval_run", "face.png", "{root}/eval_run"),
]


@pytest.mark.parametrize("argv, message, not_written", [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_bad_input_is_one_line_and_exit_2(paths, capsys, argv, message, not_written):
    argv = argv.format(**paths).split()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"gazejax {argv[0]}: error: "), err
    assert message.format(**paths) in err
    if not_written:
        assert not pathlib.Path(not_written.format(**paths)).exists()


def test_convert_without_torch_says_which_extra_to_install(paths, capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError, as when not installed
    (tmp_path / "weights.pth").write_bytes(b"PK\x03\x04")
    assert main(["convert", "xgaze-resnet50", str(tmp_path / "weights.pth"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == "gazejax convert: error: reading PyTorch checkpoints needs PyTorch: pip install 'gazejax[torch]'\n"
    assert not (tmp_path / "out").exists()


def test_missing_output_folders_are_created(paths, tmp_path):
    results = tmp_path / "new" / "folder" / "gaze.json"
    assert main(["estimate", "--checkpoint", paths["judge"], "--images", paths["face"], "--json", str(results)]) == 0
    assert [r["image"] for r in json.loads(results.read_text())] == [paths["face"]]
