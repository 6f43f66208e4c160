"""MGGR as a :class:`~gazejax.train.method.Method` (``config.method = "mggr"``)."""

from gazejax.methods.mggr import evaluation, training
from gazejax.train.method import Method

METHOD = Method(
    init=training.init,
    train_step=training.train_step,
    eval_step=training.eval_step,
    sample_images=training.sample_images,
    evaluate=evaluation.evaluate,
    phase=training.phase,
    inference_state=("params.coarse", "params.generator"),
)
