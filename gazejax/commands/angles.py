"""Angles on the command line: comma-separated radians, finite and within their documented ranges.

=====================  ======================================  =====================
angle                  range (radians)                         flags
=====================  ======================================  =====================
gaze pitch             ``|pitch| <= 1.5708`` (pi/2, 90 deg)    ``--gaze`` (first)
gaze yaw               ``|yaw| <= 3.1416`` (pi, 180 deg)       ``--gaze`` (second),
                                                               ``--sweep-gaze``
camera yaw             ``|yaw| <= 3.1416`` (pi)                ``--camera-yaw``,
                                                               ``--sweep-views``
camera pitch           ``|pitch| <= 1.5708`` (pi/2)            ``--camera-pitch``
=====================  ======================================  =====================

Gaze is (pitch, yaw) in the head frame, camera angles are the azimuth and
elevation on the model's orbit (docs/conventions.md). Beyond these a pitch
wraps over the pole and a yaw around the back, which no dataset labels.
"""

import math

from gazejax.cli import UsageError

# pi/2 and pi rounded up to the 4 decimals --help prints, so a printed bound is accepted
PITCH_LIMIT = 1.5708
YAW_LIMIT = 3.1416
GAZE_LIMITS = (PITCH_LIMIT, YAW_LIMIT)
GAZE_NAMES = ("pitch", "yaw")


def parse_angles(text, flag, limits, names=None):
    """Radians from ``"a,b,..."``: finite, each within ``[-limit, limit]``.

    Args:
      text: the flag's value.
      flag: the flag, for messages (``"--gaze"``).
      limits: a tuple (exactly that many values, each within its own limit)
        or one number (one or more values, all within it).
      names: what each value of a tuple is (``("pitch", "yaw")``), for messages.

    Returns:
      list of floats.

    Raises:
      UsageError: one line naming the flag and the value at fault.
    """
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise UsageError(f"{flag} must be comma-separated numbers (radians), got {text!r}") from None
    if isinstance(limits, tuple):
        if len(values) != len(limits):
            raise UsageError(f"{flag} needs {len(limits)} number{'s' * (len(limits) > 1)}, "
                             f"got {len(values)} in {text!r}")
        bounds = limits
    else:
        bounds = (limits,) * len(values)
    for value, bound, name in zip(values, bounds, names or ("",) * len(values)):
        what = f"{flag} {name}".rstrip()
        if not math.isfinite(value):
            raise UsageError(f"{what} must be a finite number of radians, got {value}")
        if abs(value) > bound:
            raise UsageError(f"{what} {value:g} is outside [-{bound}, {bound}] radians "
                             f"(+-{math.degrees(bound):.0f} degrees)")
    return values
