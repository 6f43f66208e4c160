"""The two small models the quick start ships (``gazejax demo``), both trained by this project on SynthGaze.

``GAZENERF_BUNDLE``: GazeNeRF (``configs/gazenerf.py:synthgaze``) as a
float16 inference bundle, with the narrow face judge its functional loss used
(fitting a new face uses that loss too). ``JUDGE_BUNDLE``: another narrow
L2CS face judge (ResNet-18 at width 16), trained on other SynthGaze
identities (data seed 2), which reads the gaze the demo reports. So the
demo's gaze error is not the generator matching its own judge. To remake
them (about 1.5 hours on 2 CPU cores: the GazeNeRF run is 83 minutes)::

    gazejax train  --config configs/l2cs.py:synthgaze --workdir runs/judge_loss --config.model.width=16
    gazejax export --checkpoint runs/judge_loss --out runs/judge_loss/estimator
    gazejax train  --config configs/gazenerf.py:synthgaze --workdir runs/gazenerf_quickstart \\
                   --config.loss.estimator_checkpoint=runs/judge_loss/estimator
    gazejax train  --config configs/l2cs.py:synthgaze --workdir runs/judge_quickstart \\
                   --config.model.width=16 --config.data.seed=2
    gazejax export --checkpoint runs/gazenerf_quickstart --bundle gazejax/quickstart/gazenerf_synthgaze.msgpack --dtype float16
    gazejax export --checkpoint runs/judge_quickstart --bundle gazejax/quickstart/judge_faces.msgpack --dtype float16
"""

import pathlib

_HERE = pathlib.Path(__file__).parent
GAZENERF_BUNDLE = _HERE / "gazenerf_synthgaze.msgpack"
JUDGE_BUNDLE = _HERE / "judge_faces.msgpack"
