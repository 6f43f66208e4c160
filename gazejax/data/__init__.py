"""Datasets: the built-in SynthGaze renderer and TFDS builders (TF-free).

- :mod:`gazejax.data.synthgaze`: procedural ray-cast heads with rotating
  eyeballs, one record per (identity, frame, view).
- :mod:`gazejax.data.synthgaze_tfds`: the ``synthgaze`` TFDS builder
  (array_record), plus ``build`` and ``data_source`` helpers.
"""
