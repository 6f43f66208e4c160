"""The L2CS gaze estimator (the SynthGaze judge) as a :class:`~gazejax.train.method.Method`
(``config.method = "l2cs"``)."""

from gazejax.methods.l2cs import evaluation, training
from gazejax.train.method import Method

METHOD = Method(
    init=training.init,
    train_step=training.train_step,
    eval_step=training.eval_step,
    evaluate=evaluation.evaluate,
    inference_state=("params", "batch_stats"),
)
