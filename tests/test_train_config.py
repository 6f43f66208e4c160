"""Config files, variants and command-line overrides."""

import pathlib

import pytest

from gazejax.train.config_loading import ConfigError, load_config

TOY = str(pathlib.Path(__file__).parent / "toy_config.py")


def test_variant_selects_settings_and_default_is_the_first():
    assert load_config(TOY + ":tiny").num_steps == 6
    assert load_config(TOY).num_steps == load_config(TOY + ":paper").num_steps == 200


def test_overrides_are_parsed_with_the_field_type():
    config = load_config(TOY + ":tiny", [
        "--config.optim.lr=1e-4", "--config.num_steps=11", "--config.data.pairs=false",
        "--config.best_metric=psnr", "config.data.same_camera=True",
    ])
    assert config.optim.lr == 1e-4 and isinstance(config.optim.lr, float)
    assert config.num_steps == 11 and isinstance(config.num_steps, int)
    assert config.data.pairs is False
    assert config.best_metric == "psnr"
    assert config.data.same_camera is True  # None-valued fields take any literal


def test_tuple_override(tmp_path):
    path = tmp_path / "tuple_config.py"
    path.write_text(
        "import ml_collections\nVARIANTS = ('tiny',)\n"
        "def get_config(v):\n    return ml_collections.ConfigDict(dict(sizes=(1, 2)))\n"
    )
    assert load_config(str(path), ["--config.sizes=3,4,5"]).sizes == (3, 4, 5)


@pytest.mark.parametrize("spec, overrides, message", [
    (TOY + ":huge", [], "unknown variant 'huge' .* choose from paper, tiny"),
    (TOY, ["--config.optim.lrx=1"], "unknown config field 'optim.lrx'"),
    (TOY, ["--config.nope.lr=1"], "unknown config field 'nope'"),
    (TOY, ["--config.num_steps=ten"], "bad value 'ten' for config field 'num_steps'"),
    (TOY, ["--config.data.pairs=maybe"], "bad value 'maybe' for config field 'data.pairs'"),
    (TOY, ["--config.optim=1"], "group of fields"),
    (TOY, ["--config.seed"], "must look like --config.field=value"),
    ("missing.py", [], "config file 'missing.py' not found"),
])
def test_bad_input_is_a_one_line_error(spec, overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_config(spec, overrides)
    assert "\n" not in str(info.value)


def test_config_is_locked_after_loading():
    config = load_config(TOY)
    with pytest.raises(AttributeError):
        config.typo_field = 1
