"""EG3D as LiveGaze's depth teacher: the mean face's depth, from a tiny EG3D bundle, follows the camera."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import livegaze_tiny
from gazejax.geometry import camera_label
from gazejax.methods.eg3d import depth_teacher, training
from gazejax.methods.livegaze import losses as livegaze_losses
from gazejax.run_loading import TrainedRun, save_bundle
from gazejax.train import config_loading

TEACHER = "gazejax.methods.eg3d.depth_teacher:from_config"


def _tiny_eg3d_bundle(path):
    """An untrained ``:tiny`` EG3D generator with a non-zero ``w_avg``, saved as an inference bundle."""
    config = config_loading.load_config("configs/eg3d.py:tiny")
    generator, _ = training.build_models(config)
    labels = jnp.zeros((1, 25))
    g_vars = jax.jit(generator.init)({"params": jax.random.key(0), "noise": jax.random.key(1)},
                                     jnp.zeros((1, config.model.z_dim)), labels, labels)
    buffers = {k: v for k, v in g_vars.items() if k != "params"}
    buffers["averages"] = jax.tree.map(lambda w: w + 0.5, buffers["averages"])
    save_bundle(path, TrainedRun(config=config, method="eg3d", step=0,
                                 state={"ema_params": g_vars["params"], "extra": {"buffers": buffers}}))
    return config, str(path)


def test_mean_face_depth_follows_the_camera_and_feeds_livegaze(tmp_path):
    eg3d_config, bundle = _tiny_eg3d_bundle(tmp_path / "eg3d.msgpack")
    config = livegaze_tiny.config()
    with config.unlocked():
        config.loss.depth_teacher, config.loss.depth_teacher_run = TEACHER, bundle
    cameras = jnp.stack([camera_label(-0.4, 0.1), camera_label(0.4, -0.1)])
    frontal = jnp.zeros((2, 32, 32, 3))
    teacher = depth_teacher.from_config(config)
    depth = np.asarray(jax.jit(teacher)(frontal, cameras))

    r = config.model.neural_resolution
    assert depth.shape == (2, r, r) and np.all(np.isfinite(depth))
    m = eg3d_config.model
    assert depth.min() >= m.ray_start - 1e-4 and depth.max() <= m.ray_end + 1e-4
    assert np.abs(depth[0] - depth[1]).max() > 1e-3  # another camera sees another depth
    # the same camera gives the same depth whatever the image (the mean face is nobody in particular)
    again = np.asarray(teacher(jnp.ones((2, 32, 32, 3)), cameras))
    np.testing.assert_allclose(again, depth, rtol=1e-5, atol=1e-5)

    target = {"image": frontal, "camera": cameras}
    used, mask = livegaze_losses.teacher_depth(config, target, r)
    np.testing.assert_allclose(used, depth, rtol=1e-5, atol=1e-5)
    assert np.all(np.asarray(mask) == 1)


def test_teacher_needs_a_run():
    config = livegaze_tiny.config()
    with config.unlocked():
        config.loss.depth_teacher = TEACHER
    with pytest.raises(ValueError, match="depth_teacher_run"):
        depth_teacher.from_config(config)
