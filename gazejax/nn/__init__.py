"""Reusable Flax Linen layers: torchvision-style ResNet and VGG16 backbones.

Each backbone names its submodules after the PyTorch original so that
``gazejax.convert`` can map released state_dicts onto them as a plain tree
mapping.
"""
