"""Where an EG3D run starts from (``model.resume``): a converted release or an EG3D run of ours.

The paper fine-tunes the released FFHQ generator; on SynthGaze the same
fine-tuning starts from a baseline that gazejax trained. Both give the
generator's variables (the EMA weights and the ``w_avg`` buffer, as a release's
``G_ema``) and the discriminator's, when there is one. The optimizer state
and the schedules start afresh, as when fine-tuning a release.
"""

import pathlib

from gazejax.methods.eg3d.converted import load_converted
from gazejax.run_loading import load_model

RUN_PATHS = ("ema_params", "extra.buffers", "params.discriminator")


def resumed_variables(path):
    """``(generator variables, discriminator variables or None)`` at ``path``.

    ``path``: a ``gazejax convert eg3d`` directory, or an EG3D training run
    directory (its newest intact checkpoint).

    Raises:
      ValueError: (one line) a run of another method, a run without an
        intact checkpoint, or a directory that is neither.
    """
    path = pathlib.Path(path)
    if not (path / "config.json").is_file():
        _, generator, _, discriminator = load_converted(path)
        return generator, discriminator
    state = load_model(path, method="eg3d", paths=RUN_PATHS).state
    return {"params": state["ema_params"], **state["extra"]["buffers"]}, {"params": state["params"]["discriminator"]}
