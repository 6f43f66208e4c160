"""Pretrained networks used as judges and losses: L2CS-Net, the ETH-XGaze
ResNet-50 and GazeNeRF VGG16 gaze estimators, VGG16 features and LPIPS.

Each takes float32 NHWC RGB images in [0, 1] and does its own input
normalisation. Converted weights load with ``gazejax.convert.load(dir)``.
"""
