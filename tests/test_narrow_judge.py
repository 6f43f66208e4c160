"""A narrow L2CS judge (ResNet base width 16): its export loads back as the same network, as an
estimator and as a perceptual network, and a bundle of the run judges as the export does."""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax import convert
from gazejax.methods.l2cs import training
from gazejax.methods.l2cs.export import export, judge
from gazejax.nn.resnet import ResNet
from gazejax.pretrained.gaze_estimator import load_gaze_estimator
from gazejax.pretrained.perceptual import perceptual_network
from gazejax.run_loading import TrainedRun, load_model, save_bundle
from gazejax.train.config_loading import load_config


def _count(tree):
    return sum(x.size for x in jax.tree.leaves(tree))


def test_width_scales_every_stage():
    x = jnp.zeros((1, 32, 32, 3))
    wide, narrow = ResNet(18), ResNet(18, width=16)
    wide_vars = jax.eval_shape(wide.init, jax.random.key(0), x)
    narrow_vars = jax.eval_shape(narrow.init, jax.random.key(0), x)
    assert jax.eval_shape(lambda v: narrow.apply(v, x), narrow_vars).shape == (1, 128)  # 8 x width
    assert jax.eval_shape(lambda v: wide.apply(v, x), wide_vars).shape == (1, 512)
    # convolutions scale with width squared: 16x fewer parameters
    assert abs(_count(wide_vars["params"]) / _count(narrow_vars["params"]) - 16) < 0.5


def test_a_narrow_judge_exports_and_bundles_as_itself(tmp_path):
    config = load_config("configs/l2cs.py:eye_patches", ["model.width=16"])
    images = jax.random.uniform(jax.random.key(1), (3, 64, 64, 3))
    module = training.model(config)
    variables = jax.jit(module.init)(jax.random.key(0), images)
    expected = judge(TrainedRun(config, "l2cs", 7, variables))(images)["gaze"]

    export(config, variables, tmp_path / "judge")
    estimate, info = load_gaze_estimator(tmp_path / "judge")
    assert info["width"] == 16
    np.testing.assert_allclose(estimate(images)["gaze"], expected, atol=1e-6)
    features, frozen = perceptual_network(tmp_path / "judge", ["layer1", "layer4"])
    taps = features.apply(frozen, images)
    assert taps["layer1"].shape[-1] == 16 and taps["layer4"].shape[-1] == 128

    save_bundle(tmp_path / "judge.msgpack", TrainedRun(config, "l2cs", 7, variables))
    np.testing.assert_allclose(judge(load_model(tmp_path / "judge.msgpack"))(images)["gaze"], expected,
                               atol=1e-6)
    assert convert.read_info(tmp_path / "judge")["network"] == "l2cs"
