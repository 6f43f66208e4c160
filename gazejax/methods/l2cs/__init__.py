"""L2CS-Net trained as a gaze judge (the network itself is :mod:`gazejax.models.l2cs`)."""
