"""The synthgaze TFDS builder and the ``gazejax synthgaze`` command, end to end."""

import sys

import numpy as np
import pytest
from PIL import Image

from gazejax.cli import main
from gazejax.data import synthgaze, synthgaze_tfds
from gazejax.data.synthgaze.contact_sheet import sweep_columns

R = 64


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthgaze")
    preview = root / "sheet.png"
    args = ["synthgaze", "--out", str(root / "data"), "--resolution", str(R)]
    args += ["--identities", "2", "--frames", "1", "--views", "2", "--preview", str(preview)]
    assert main(args) == 0
    return root / "data", preview


def test_command_writes_a_contact_sheet(built):
    _, preview = built
    sheet = np.asarray(Image.open(preview))
    assert sheet.shape == (2 * R, len(sweep_columns()[0]) * R, 3)
    # Rows are different identities.
    assert np.abs(sheet[:R].astype(int) - sheet[R:].astype(int)).mean() > 5


def test_data_source_reads_back_exact_records_without_tensorflow(built):
    data_dir, _ = built
    name = synthgaze_tfds.custom_name(R, 2, 1, 2, 1, 0)
    train = synthgaze_tfds.data_source(data_dir, name, "train")
    test = synthgaze_tfds.data_source(data_dir, name, "test")
    assert len(train) == 2 and len(test) == 2
    assert {int(r["identity"]) for r in train} == {0}
    assert {int(r["identity"]) for r in test} == {1}
    # Records come back in (identity, frame, view) order and byte-identical.
    direct = synthgaze.records(0, [1, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1], R)
    for i, record in enumerate(list(test) + list(train)):
        assert int(record["view"]) == direct["view"][i]
        for key, value in record.items():
            # TFDS decodes the int32 scalars to Python ints; arrays keep their dtype.
            value = np.asarray(value, direct[key].dtype if np.ndim(value) == 0 else None)
            assert value.dtype == direct[key].dtype, key
            assert value.tobytes() == direct[key][i].tobytes(), key
    assert "tensorflow" not in sys.modules


def test_config_names_round_trip():
    config = synthgaze_tfds.config_for_name(synthgaze_tfds.custom_name(96, 10, 3, 4, 2, 7))
    assert (config.resolution, config.identities, config.frames, config.views) == (96, 10, 3, 4)
    assert (config.test_identities, config.seed) == (2, 7)
    assert synthgaze_tfds.config_for_name("r128_small").resolution == 128
    with pytest.raises(ValueError, match="unknown synthgaze config"):
        synthgaze_tfds.config_for_name("r64-tiny")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--resolution", "100"], "resolution must be a multiple of 8"),
        (["--resolution", "16"], "resolution must be a multiple of 8"),
        (["--identities", "0"], "--identities must be at least 2"),
        (["--frames", "0"], "frames must be at least 1"),
        (["--identities", "3", "--test-identities", "3"], "fewer than identities"),
        (["--config", "nope"], "unknown synthgaze config"),
        ([], None),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path, capsys, args, message):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    out = ["--out", str(tmp_path / "data")] if message else ["--out", str(blocker / "data")]
    assert main(["synthgaze", *out, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gazejax synthgaze: error:")
    assert (message or "--out") in err


def test_nothing_to_do_is_an_error(capsys):
    assert main(["synthgaze"]) == 2
    assert "nothing to do" in capsys.readouterr().err
