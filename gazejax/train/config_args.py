"""The argument after the colon in ``--config configs/FILE.py:ARG``, big_vision style.

``ARG`` is one base variant name followed by ``key=value`` options, separated
by commas: ``synthgaze,ablation=no_flow``. Either part may be left out: an
empty ``ARG`` is the first base with no options, and ``ablation=no_flow``
alone applies the option to the first base. Every config file parses its
argument with :func:`parse_config_arg`, so all of them read the same way.
"""

from gazejax.train.config_loading import ConfigError


def parse_config_arg(arg, bases, options=None):
    """Splits ``"base,key=value,..."`` into the base and its options.

    Args:
      arg: the text after the colon, or None / "" for the defaults.
      bases: the valid base variant names; the first is the default.
      options: ``{key: allowed values}``; every value must be one of them.

    Returns:
      ``(base, {key: value or None})``: every option key is present, None
      where ``arg`` does not set it.

    Raises:
      ConfigError: one line naming the bad part and listing the valid choices.
    """
    options = options or {}
    base, chosen = None, dict.fromkeys(options)
    for part in filter(None, (p.strip() for p in (arg or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            if part not in bases:
                raise ConfigError(f"unknown variant {part!r}; choose from {', '.join(bases)}")
            if base is not None:
                raise ConfigError(f"two variants {base!r} and {part!r}; give one, then key=value options")
            base = part
        elif key not in options:
            known = ", ".join(options) or "none"
            raise ConfigError(f"unknown config option {key!r}; options: {known}")
        elif value not in options[key]:
            raise ConfigError(f"bad value {value!r} for config option {key!r}; "
                              f"choose from {', '.join(options[key])}")
        else:
            chosen[key] = value
    return base or bases[0], chosen
