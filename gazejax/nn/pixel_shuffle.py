"""Sub-pixel rearrangement (Shi et al., CVPR 2016), torch's ``PixelShuffle`` in NHWC."""


def pixel_shuffle(x, factor):
    """``(N, H, W, C*f*f)`` -> ``(N, H*f, W*f, C)``.

    Channel ``c*f*f + i*f + j`` goes to output pixel ``(f*h + i, f*w + j)``,
    channel ``c``, as torch's ``nn.PixelShuffle`` does on NCHW tensors.
    """
    n, h, w, cff = x.shape
    c = cff // (factor * factor)
    x = x.reshape(n, h, w, c, factor, factor)
    return x.transpose(0, 1, 4, 2, 5, 3).reshape(n, h * factor, w * factor, c)
