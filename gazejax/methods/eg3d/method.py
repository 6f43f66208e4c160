"""Gaze-corrected EG3D as a :class:`~gazejax.train.method.Method` (``config.method = "eg3d"``)."""

from gazejax.methods.eg3d import evaluation, training
from gazejax.train.method import Method

METHOD = Method(
    init=training.init,
    train_step=training.train_step,
    sample_images=training.sample_images,
    evaluate=evaluation.evaluate,
    phase=training.step_phase,
    inference_state=("ema_params", "extra.buffers"),
)
