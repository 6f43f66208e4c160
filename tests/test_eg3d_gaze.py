"""The gaze-face alignment loss (Gaze-Corrected EG3D, Eq. 1): face angles, forms, and a real gradient.

The reference code detaches the estimator's expectation, so its gaze loss
never changes the generator; here the generator's gradient from this term
alone must be non-zero, with either preprocessing, either form.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.geometry import camera_label
from gazejax.methods.eg3d import training
from gazejax.methods.eg3d.evaluation import view_labels
from gazejax.methods.eg3d.losses import face_angles, gaze_alignment_loss
from gazejax.train import config_loading
from random_judge import save_random_judge


def test_face_angles_of_the_gfas_views():
    config = config_loading.load_config("configs/eg3d.py:paper")
    conditioning, views = view_labels(config)
    # the reference's targets for (h, v) offsets (+-0.4, -0.2): pitch +0.20, yaw +-0.43
    np.testing.assert_allclose(face_angles(views, "official"), [[0.2, 0.43], [0.2, 0.0], [0.2, -0.43]], atol=1e-6)
    geometric = np.asarray(face_angles(views, "geometric"))
    assert np.all(geometric[:, 0] < -0.1)  # camera above: the face's gaze passes below it
    np.testing.assert_allclose(geometric[:, 1], [0.435, 0.0, -0.435], atol=2e-3)
    np.testing.assert_allclose(face_angles(conditioning[None], "geometric"), [[0.0, 0.0]], atol=1e-6)


def test_loss_forms():
    predicted, target = jnp.array([[0.3, 0.4], [0.0, 0.0]]), jnp.zeros((2, 2))
    assert float(gaze_alignment_loss(predicted, target, "mse")) == pytest.approx((0.09 + 0.16) / 4)
    assert float(gaze_alignment_loss(predicted, target, "root")) == pytest.approx(0.5 / 2, rel=1e-5)
    with pytest.raises(ValueError, match="form"):
        gaze_alignment_loss(predicted, target, "l1")


@pytest.mark.parametrize("preprocessing,form", [("estimator", "mse"), ("official", "root")])
def test_the_generator_gets_a_gradient_from_the_gaze_term_alone(tmp_path, preprocessing, form):
    judge = save_random_judge(tmp_path / "judge", input_size=32)
    config = config_loading.load_config(
        "configs/eg3d.py:tiny,gaze=on",
        [f"loss.gaze_estimator_checkpoint={judge}", f"loss.gaze_preprocessing={preprocessing}",
         f"loss.gaze_loss_form={form}", "loss.face_angle_formula=official"])
    labels = jnp.stack([camera_label(0.3, 0.1), camera_label(-0.3, -0.1)])
    batch = {"image": jnp.full((2, 32, 32, 3), 0.5), "camera": labels}
    state = training.init(config, jax.random.key(0), batch)
    generator, _ = training.build_models(config)
    z = jax.random.normal(jax.random.key(1), (2, config.model.z_dim))

    def gaze_only(g_params):
        image = generator.apply({"params": g_params, **state.extra["buffers"]}, z, labels, labels,
                                noise_mode="const")["image"]
        return training._gaze_term(config, state.extra, image, labels)[0]

    loss, grads = jax.jit(jax.value_and_grad(gaze_only))(state.params["generator"])
    norms = {"/".join(map(str, path)): float(jnp.linalg.norm(g)) for path, g in
             jax.tree_util.tree_leaves_with_path(grads)}
    assert np.isfinite(float(loss)) and all(np.isfinite(list(norms.values())))
    # it reaches the tri-plane backbone, the decoder and the super-resolution
    for part in ("backbone", "decoder", "superresolution"):
        assert sum(v for k, v in norms.items() if part in k) > 0, part


def test_gfas_sums_the_per_view_errors_of_the_ema_generator(tmp_path):
    from gazejax.methods.eg3d.evaluation import evaluate

    judge = save_random_judge(tmp_path / "judge", input_size=32)
    config = config_loading.load_config("configs/eg3d.py:tiny", [f"eval.estimator_checkpoint={judge}"])
    batch = {"image": jnp.full((2, 32, 32, 3), 0.5), "camera": jnp.stack([camera_label(0.0, 0.0)] * 2)}
    state = training.init(config, jax.random.key(0), batch)
    result = evaluate(config, state, tmp_path)
    assert result["seeds"] == 2 and len(result["per_view_mse"]) == 3
    assert result["gfas"] == pytest.approx(sum(result["per_view_mse"])) and result["gfas"] > 0
