"""Inference refuses what would give a silently wrong result.

Angles that are not finite or out of their documented range, images read in
the wrong precision (a 16-bit grayscale face clipped to white), and model
outputs that are NaN: each is refused with one line, and nothing is written.
The image reader is checked mode by mode on small files written here.
"""

import json
import struct
import zlib

import jax
import numpy as np
import pytest
from PIL import Image

import livegaze_tiny
from gazejax import convert
from gazejax.cli import UsageError, main
from gazejax.commands.angles import GAZE_LIMITS, GAZE_NAMES, YAW_LIMIT, parse_angles
from gazejax.commands.image_files import MAX_PIXELS, read_rgb
from gazejax.methods.livegaze import training as livegaze
from gazejax.train import checkpointing
from random_judge import save_random_judge


def _save_run(directory, config, state):
    directory.mkdir()
    (directory / "config.json").write_text(config.to_json_best_effort())
    saved = checkpointing.Checkpoints(directory, keep=1)
    saved.save(state, jax.random.key(1), 0)
    saved.close()
    return str(directory)


@pytest.fixture(scope="module")
def livegaze_runs(tmp_path_factory):
    """A tiny LiveGaze run, the same run with weights that overflow to NaN images, and a face crop.

    (The trainer refuses to save NaN weights; kernels 1e30 times too large are finite but blow up.)
    """
    root = tmp_path_factory.mktemp("inference_inputs")
    config = livegaze_tiny.config()
    batch = livegaze_tiny.pair_batch()
    state = jax.jit(lambda k: livegaze.init(config, k, batch))(jax.random.key(0))
    poisoned = state.replace(params=jax.tree.map(lambda x: x * np.float32(1e30) if x.ndim > 1 else x,
                                                 state.params))
    face = root / "face.png"
    Image.fromarray((np.asarray(batch["source"]["image"][0]) * 255).astype(np.uint8)).save(face)
    return _save_run(root / "run", config, state), _save_run(root / "nan_run", config, poisoned), str(face)


def _one_error_line(capsys, command):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"gazejax {command}: error: "), err
    return err


@pytest.mark.parametrize("flags, message", [
    (["--gaze=nan,nan"], "--gaze pitch must be a finite number of radians, got nan"),
    (["--gaze=inf,0"], "--gaze pitch must be a finite number of radians, got inf"),
    (["--gaze=0,-inf"], "--gaze yaw must be a finite number"),
    (["--gaze=0,0", "--camera-yaw", "nan"], "--camera-yaw must be a finite number"),
    (["--gaze=100,100"], "--gaze pitch 100 is outside [-1.5708, 1.5708] radians"),
    (["--gaze=0,3.2"], "--gaze yaw 3.2 is outside [-3.1416, 3.1416] radians"),
    (["--gaze=0,0", "--camera-pitch", "1.6"], "--camera-pitch 1.6 is outside [-1.5708, 1.5708]"),
    (["--gaze=0,0", "--camera-yaw", "0.1,0.2"], "--camera-yaw needs 1 number, got 2"),
])
def test_bad_angles_are_refused_and_nothing_is_written(livegaze_runs, tmp_path, capsys, flags, message):
    run, _, face = livegaze_runs
    out = tmp_path / "out.png"
    assert main(["redirect", "--checkpoint", run, "--image", face, "--out", str(out), *flags]) == 2
    assert message in _one_error_line(capsys, "redirect")
    assert not out.exists()


def test_sweep_angles_are_checked_too(livegaze_runs, tmp_path, capsys):
    run, _, face = livegaze_runs
    sweep = tmp_path / "sweep.png"
    assert main(["redirect", "--checkpoint", run, "--image", face, "--sweep", str(sweep),
                 "--sweep-views", "0,nan"]) == 2
    assert "--sweep-views must be a finite number" in _one_error_line(capsys, "redirect")
    assert not sweep.exists()


def test_angles_at_the_documented_limits_are_accepted():
    # the bounds --help prints are accepted as written
    assert parse_angles("-1.5708,3.1416", "--gaze", GAZE_LIMITS, GAZE_NAMES) == [-1.5708, 3.1416]
    assert parse_angles(str(np.pi / 2), "--camera-pitch", (1.5708,)) == [np.pi / 2]
    assert parse_angles("-0.4,0,0.4", "--sweep-gaze", YAW_LIMIT) == [-0.4, 0.0, 0.4]
    with pytest.raises(UsageError, match="--gaze pitch 1.5709 is outside"):
        parse_angles("1.5709,0", "--gaze", GAZE_LIMITS, GAZE_NAMES)
    with pytest.raises(UsageError, match="comma-separated numbers"):
        parse_angles("0,zero", "--gaze", GAZE_LIMITS, GAZE_NAMES)


def test_a_valid_redirection_still_writes_its_images(livegaze_runs, tmp_path):
    run, _, face = livegaze_runs
    out, depth = tmp_path / "new" / "out.png", tmp_path / "depth.png"
    assert main(["redirect", "--checkpoint", run, "--image", face, "--gaze=0.1,-0.2", "--camera-yaw", "0.3",
                 "--out", str(out), "--depth-out", str(depth)]) == 0
    assert np.asarray(Image.open(out)).shape == np.asarray(Image.open(depth)).shape == (32, 32, 3)


def test_a_non_finite_redirection_writes_nothing(livegaze_runs, tmp_path, capsys):
    _, nan_run, face = livegaze_runs
    out, sweep = tmp_path / "out.png", tmp_path / "sweep.png"
    assert main(["redirect", "--checkpoint", nan_run, "--image", face, "--gaze=0.1,-0.2",
                 "--out", str(out), "--sweep", str(sweep)]) == 1
    err = _one_error_line(capsys, "redirect")
    assert "LiveGaze's output: image, raw_image, " in err and "not finite (NaN or inf); nothing was written" in err
    assert not out.exists() and not sweep.exists()


@pytest.mark.parametrize("crop", [None, (0.1, 0.1, 0.8)], ids=["resized", "cropped"])
def test_16_bit_grayscale_is_estimated_as_its_8_bit_copy(tmp_path, crop):
    judge = save_random_judge(tmp_path / "judge", 32, crop=crop)
    grey = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    files = {"8": tmp_path / "g8.png", "16": tmp_path / "g16.png", "white": tmp_path / "white.png"}
    Image.fromarray(grey).save(files["8"])
    Image.fromarray(grey.astype(np.uint16) * 257).save(files["16"])  # the same levels in 16 bits
    Image.fromarray(np.full_like(grey, 255)).save(files["white"])
    assert Image.open(files["16"]).mode == "I;16"
    results = tmp_path / "gaze.json"
    assert main(["estimate", "--checkpoint", judge, "--images", *map(str, files.values()),
                 "--json", str(results)]) == 0
    gaze = {key: np.array([r["pitch"], r["yaw"]]) for key, r in zip(files, json.loads(results.read_text()))}
    # the 8-bit file is resized in 8 bits, the 16-bit one in float: rounding apart, the same picture
    np.testing.assert_allclose(gaze["16"], gaze["8"], atol=1e-6 if crop else 1e-3)
    assert np.abs(gaze["white"] - gaze["8"]).max() > 1e-2  # what reading it clipped to white gave


def test_a_nan_estimate_is_refused(tmp_path, capsys):
    judge = save_random_judge(tmp_path / "judge", 32)
    _, variables, info = convert.load(judge)
    poisoned = tmp_path / "nan_judge"
    convert.save(poisoned, info, jax.tree.map(lambda x: np.asarray(x) * np.nan, variables))
    face = tmp_path / "face.png"
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(face)
    results = tmp_path / "gaze.json"
    assert main(["estimate", "--checkpoint", str(poisoned), "--images", str(face), "--json", str(results)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no nan printed as a result
    assert captured.err.count("\n") == 1 and "gaze not finite (NaN or inf); nothing was written" in captured.err
    assert not results.exists()


def _write(path, array):
    Image.fromarray(array).save(path)
    return path


LEVELS = np.arange(0, 256, 16, dtype=np.uint8).reshape(4, 4)  # 16 grey levels, 0..240


@pytest.mark.parametrize("name, make, expected", [
    ("rgb.png", lambda: Image.fromarray(np.stack([LEVELS, 255 - LEVELS, LEVELS // 2], -1)),
     np.stack([LEVELS, 255 - LEVELS, LEVELS // 2], -1) / 255.0),
    ("grey.png", lambda: Image.fromarray(LEVELS), np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("bilevel.png", lambda: Image.fromarray(LEVELS >= 128), np.repeat((LEVELS >= 128)[..., None], 3, -1) * 1.0),
    ("grey16.png", lambda: Image.fromarray(LEVELS.astype(np.uint16) * 257),
     np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("grey16.tif", lambda: Image.fromarray(LEVELS.astype(np.uint16) * 257),
     np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("palette.png", lambda: Image.fromarray(LEVELS).convert("P"), np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("opaque_rgba.png", lambda: Image.fromarray(np.dstack([LEVELS] * 3 + [np.full_like(LEVELS, 255)])),
     np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("opaque_la.png", lambda: Image.fromarray(np.dstack([LEVELS, np.full_like(LEVELS, 255)]), "LA"),
     np.repeat(LEVELS[..., None], 3, -1) / 255.0),
    ("cmyk.tif", lambda: Image.fromarray(np.dstack([LEVELS, LEVELS * 0, LEVELS * 0, LEVELS * 0]), "CMYK"),
     np.dstack([255 - LEVELS, np.full_like(LEVELS, 255), np.full_like(LEVELS, 255)]) / 255.0),
])
def test_every_supported_mode_reads_as_float_rgb(tmp_path, name, make, expected):
    path = tmp_path / name
    make().save(path)
    image = read_rgb(path)
    assert image.dtype == np.float32 and image.shape == (4, 4, 3)
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_sixteen_bits_keep_their_precision(tmp_path):
    fine = np.array([[0, 1, 256, 65535]], np.uint16)  # levels an 8-bit copy could not tell apart
    image = read_rgb(_write(tmp_path / "fine.png", fine))
    np.testing.assert_allclose(image[0, :, 0], fine[0] / 65535.0, rtol=1e-6)
    assert 0 < image[0, 1, 0] < 1 / 255


def test_resizing_a_16_bit_image_stays_in_range(tmp_path):
    image = read_rgb(_write(tmp_path / "g16.png", np.full((10, 6), 65535, np.uint16)), size=8)
    assert image.shape == (8, 8, 3)
    np.testing.assert_allclose(image, 1.0, atol=1e-6)


def test_the_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((2, 3, 3), np.uint8)
    pixels[0, 0] = 255  # top-left red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rotated.png"
    Image.fromarray(pixels).save(path, exif=exif)
    image = read_rgb(path)
    assert image.shape == (3, 2, 3)
    assert image[0, 1, 0] == 1.0  # top-left went to top-right


@pytest.mark.parametrize("name, make, message", [
    ("transparent.png", lambda: Image.fromarray(np.zeros((4, 4, 4), np.uint8)),
     "is RGBA with transparent pixels; expected an RGB image"),
    ("transparent_la.png", lambda: Image.fromarray(np.zeros((4, 4, 2), np.uint8), "LA"),
     "is LA with transparent pixels"),
    ("transparent_palette.png", lambda: _with_transparency(Image.fromarray(LEVELS).convert("P")),
     "is P with transparent pixels"),
    ("float.tif", lambda: Image.fromarray(np.zeros((4, 4), np.float32)), "PIL mode F image, which has no defined"),
    ("int32.tif", lambda: Image.fromarray(np.zeros((4, 4), np.int32)), "PIL mode I image, which has no defined"),
])
def test_what_cannot_be_read_right_is_refused(tmp_path, name, make, message):
    path = tmp_path / name
    make().save(path)
    with pytest.raises(UsageError, match=message):
        read_rgb(path)


def _with_transparency(image):
    image.info["transparency"] = 0
    return image


def png_header_only(path, width, height):
    """A PNG that declares ``width x height`` 8-bit RGB and holds no pixel data: a bomb to open, cheap to write."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)
    return path


@pytest.mark.parametrize("side", [4097, 20000], ids=["over_our_limit", "over_pils_limit"])
def test_decompression_bombs_are_refused_before_decoding(tmp_path, side):
    assert side * side > MAX_PIXELS
    with pytest.raises(UsageError, match="decompression bomb|too large to decode"):
        read_rgb(png_header_only(tmp_path / "bomb.png", side, side))


def test_broken_and_missing_files_are_refused(tmp_path):
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(UsageError, match="cannot read image .*text.png"):
        read_rgb(tmp_path / "text.png")
    whole = tmp_path / "whole.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(whole)
    (tmp_path / "cut.png").write_bytes(whole.read_bytes()[:400])
    with pytest.raises(UsageError, match="cannot read image .*cut.png"):
        read_rgb(tmp_path / "cut.png")
    with pytest.raises(UsageError, match="is a directory, not an image"):
        read_rgb(tmp_path)
    with pytest.raises(UsageError, match="no such image"):
        read_rgb(tmp_path / "missing.png")
