"""``gazejax demo``: the shipped GazeNeRF redirects held-out SynthGaze faces far better than doing
nothing, as read by the shipped judge, and the picture has one GazeNeRF row and one truth row per face."""

import re

import numpy as np
from PIL import Image

from gazejax import quickstart
from gazejax.cli import main
from gazejax.methods.gazenerf import demo
from gazejax.run_loading import load_model


def _errors(text):
    rows = {}
    for name in ("do nothing", "GazeNeRF", "true face"):
        match = re.search(rf"^\s+{name}.*?([0-9.]+)°$", text, re.M)
        assert match, f"no {name!r} row in:\n{text}"
        rows[name] = float(match.group(1))
    return rows


def test_the_shipped_models_are_small_and_what_they_say():
    sizes = 0
    for path, method in ((quickstart.GAZENERF_BUNDLE, "gazenerf"), (quickstart.JUDGE_BUNDLE, "l2cs")):
        sizes += path.stat().st_size
        run = load_model(path, method=method)
        assert run.method == method and run.config.data.builder == "synthgaze"
    assert sizes < 6_000_000  # a few MB at most, both together
    gazenerf = load_model(quickstart.GAZENERF_BUNDLE)
    judge = load_model(quickstart.JUDGE_BUNDLE)
    # the judge that scores the demo saw none of the faces the demo redirects, nor GazeNeRF's data
    assert judge.config.data.seed != gazenerf.config.data.seed


def test_the_demo_redirects_held_out_faces(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--faces", "1"]) == 0  # 7 requested gazes
    errors = _errors(capsys.readouterr().out)
    assert errors["GazeNeRF"] < 0.5 * errors["do nothing"], errors
    # most of the way from doing nothing to the judge's floor (its error on the true faces)
    floor = errors["true face"]
    assert errors["GazeNeRF"] - floor < 0.25 * (errors["do nothing"] - floor), errors
    picture = np.asarray(Image.open(tmp_path / "redirect.png"))
    side = 2 * 64  # 64-pixel faces drawn twice as large
    assert picture.shape == (24 + 2 * side, 80 + (1 + len(demo.SWEEP)) * side, 3)  # GazeNeRF and truth rows
    truth_row = picture[24 + side: 24 + 2 * side, 80 + side:]
    assert truth_row.std() > 10  # rendered faces, not a blank row


def test_bad_demo_input_gets_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    for argv, message in (
        (["--faces", "0"], "--faces must be in 1..10"),
        (["--model", str(tmp_path / "missing")], "does not exist"),
        (["--judge", str(quickstart.GAZENERF_BUNDLE)], "holds a 'gazenerf' model, not a l2cs one"),
        (["--out", str(tmp_path / "file")], "is a file; give a directory"),
    ):
        argv = ["--out", str(tmp_path / "out"), *argv] if argv[0] != "--out" else argv
        assert main(["demo", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
