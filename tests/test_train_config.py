"""Config files, variants and command-line overrides."""

import pathlib

import pytest
from PIL import Image

from gazejax.train.config_args import parse_config_arg
from gazejax.train.config_loading import ConfigError, load_config, load_config_from_command_line

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
    assert config.data.same_camera is True  # a typed placeholder (None until set) takes its type


def test_command_line_tokens_take_the_value_in_the_next_token():
    config = load_config_from_command_line(TOY + ":tiny", ["--config.num_steps", "7",
                                                           "--config.optim.lr=0.5"])
    assert (config.num_steps, config.optim.lr) == (7, 0.5)


def test_tuple_override(tmp_path):
    path = tmp_path / "tuple_config.py"
    path.write_text(
        "import ml_collections\n"
        "def get_config(arg=None):\n    return ml_collections.ConfigDict(dict(sizes=(1, 2)))\n"
    )
    assert load_config(str(path), ["--config.sizes=3,4,5"]).sizes == (3, 4, 5)


@pytest.mark.parametrize("spec, overrides, message", [
    (TOY + ":huge", [], r"unknown variant 'huge'.* choose from paper, tiny"),
    (TOY + ":tiny,size=3", [], r"unknown config option 'size'"),
    (TOY, ["--config.optim.lrx=1"], r"unknown config field 'optim.lrx'"),
    (TOY, ["--config.nope.lr=1"], r"unknown config field 'nope'"),
    (TOY, ["--config.num_steps=ten"], r"--config.num_steps=ten: .*'ten'"),
    (TOY, ["--config.data.pairs=maybe"], r"--config.data.pairs=maybe: .*boolean"),
    (TOY, ["--config.optim=1"], r"--config.optim=1: .*not a dict"),
    (TOY, ["--config.seed"], r"missing value for flag --config.seed"),
    ("missing.py", [], r"config file 'missing.py' not found"),
])
def test_bad_input_is_a_one_line_error(spec, overrides, message):
    with pytest.raises(ConfigError, match=f"(?i){message}") as info:
        load_config(spec, overrides)
    assert "\n" not in str(info.value)


def test_an_image_given_as_config_is_one_line(tmp_path):
    path = tmp_path / "grid.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(ConfigError, match=r"config file '.*grid.png' failed: SyntaxError") as info:
        load_config(str(path))
    assert "\n" not in str(info.value)


def test_a_stray_command_line_token_is_named():
    with pytest.raises(ConfigError, match="unexpected argument 'false'"):
        load_config_from_command_line(TOY, ["--config.data.pairs", "false"])


def test_an_error_raised_by_the_config_file_is_one_line(tmp_path):
    path = tmp_path / "broken_config.py"
    path.write_text("def get_config(arg=None):\n    return {}['missing']\n")
    with pytest.raises(ConfigError, match=r"broken_config.py' failed: KeyError: 'missing'") as info:
        load_config(str(path), ["--config.seed=1"])
    assert "\n" not in str(info.value)


def test_each_file_is_loaded_afresh(tmp_path):
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("import ml_collections\n"
                     "def get_config(arg=None):\n    return ml_collections.ConfigDict(dict(a=1))\n")
    second.write_text("X = 2\n")
    load_config(str(first))
    with pytest.raises(ConfigError, match="get_config"):
        load_config(str(second))  # not first.py's get_config


def test_config_is_locked_after_loading():
    config = load_config(TOY)
    with pytest.raises(AttributeError):
        config.typo_field = 1


def test_config_arg_is_a_base_then_options():
    bases, options = ("paper", "tiny", "synthgaze"), {"ablation": ("no_flow", "no_gazemap")}
    assert parse_config_arg(None, bases, options) == ("paper", {"ablation": None})
    assert parse_config_arg("synthgaze,ablation=no_flow", bases, options) == (
        "synthgaze", {"ablation": "no_flow"})
    assert parse_config_arg("ablation=no_gazemap", bases, options) == ("paper", {"ablation": "no_gazemap"})


@pytest.mark.parametrize("arg, message", [
    ("huge", "unknown variant 'huge'; choose from paper, tiny"),
    ("paper,tiny", "two variants 'paper' and 'tiny'"),
    ("tiny,depth=3", "unknown config option 'depth'; options: ablation"),
    ("tiny,ablation=all", "bad value 'all' for config option 'ablation'; choose from no_flow, no_gazemap"),
])
def test_bad_config_arg_lists_the_choices(arg, message):
    with pytest.raises(ConfigError, match=message):
        parse_config_arg(arg, ("paper", "tiny"), {"ablation": ("no_flow", "no_gazemap")})


CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["livegaze", "gazenerf", "mggr", "l2cs"])
def test_every_config_reads_its_argument_the_same_way(name):
    path = str(CONFIGS / f"{name}.py")
    assert load_config(path).method == name
    with pytest.raises(ConfigError, match=r"unknown variant 'huge'; choose from .*tiny") as info:
        load_config(f"{path}:huge")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name, ablation", [("mggr", "no_flow"), ("gazenerf", "vanilla")])
def test_ablations_compose_with_a_base(name, ablation):
    path = str(CONFIGS / f"{name}.py")
    base = load_config(f"{path}:synthgaze")
    ablated = load_config(f"{path}:synthgaze,ablation={ablation}")
    assert ablated.data.to_dict() == base.data.to_dict()  # still the SynthGaze run
    assert ablated.model.to_dict() != base.model.to_dict()
    with pytest.raises(ConfigError, match=f"bad value 'nope' for config option 'ablation'; "
                                          f"choose from .*{ablation}"):
        load_config(f"{path}:synthgaze,ablation=nope")


def test_gazenerf_offset_grid_follows_the_data_grid():
    config = load_config(str(CONFIGS / "gazenerf.py") + ":tiny",
                         ["--config.data.identities=5", "--config.data.views=3"])
    assert (config.offsets.identities, config.offsets.frames, config.offsets.views) == (
        5, config.data.frames, 3)


def test_mggr_num_steps_is_the_sum_of_its_stages():
    config = load_config(str(CONFIGS / "mggr.py") + ":tiny", ["--config.schedule.fine_steps=10"])
    assert config.num_steps == config.schedule.coarse_steps + 10
    assert load_config(str(CONFIGS / "mggr.py") + ":tiny,ablation=coarse_only").num_steps == (
        config.schedule.coarse_steps)
