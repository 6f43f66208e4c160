"""Datasets and their input pipelines, all TensorFlow-free.

SynthGaze, the built-in dataset: :mod:`gazejax.data.synthgaze` (procedural
ray-cast heads with rotating eyeballs, one record per (identity, frame,
view)) and :mod:`gazejax.data.synthgaze_tfds` (the ``synthgaze`` TFDS builder
on array_record, plus ``build`` and ``data_source``).
"""
