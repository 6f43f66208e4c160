"""GazeNeRF as a :class:`~gazejax.train.method.Method` (``config.method = "gazenerf"``)."""

from gazejax.methods.gazenerf import evaluation, training
from gazejax.train.method import Method

METHOD = Method(
    init=training.init,
    train_step=training.train_step,
    eval_step=training.eval_step,
    sample_images=training.sample_images,
    evaluate=evaluation.evaluate,
    inference_state=("params.net", "extra"),
)
