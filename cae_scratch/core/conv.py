"""A 2-D convolution from scratch, its exact adjoint, and the convolutional contractive penalty.

A convolution is a linear map x -> M(K) x with a structured matrix M, so a
convolutional CAE is the dense CAE with W = M(K) and the tied decoder M(K)^T::

    a = conv(x, K) + b_h      h = s(a)      z = conv^T(h, K) + b_r      r = g(z)
    J(x) = diag(s'(a)) M(K)
    ||J(x)||_F^2 = sum_{c,p} s'(a_cp)^2 q_cp,     q = conv(1_x, K * K)

q_cp is the squared norm of row (c, p) of M: the sum of K_c^2 over the taps
that land inside the image (with no padding, ||K_c||^2 at every position p).

Both maps are one copy by strided slices and one matrix product (im2col,
CS231n's "fast layers"), laid out channel first so that each product is one
large GEMM over the whole batch:

- ``cols(X)``: (C_in k k, B P) patches, P = H' W' output positions: one
  strided slice of the zero-padded images per tap (i, j), stacked.
- ``conv(X, K) = K_mat @ cols(X)``: (C_out, B P), K_mat: (C_out, C_in k k).
- ``conv_t(H, K)``: the exact adjoint (col2im): K_mat^T @ H gives every
  tap's share, and each tap's share is added back at its strided place in a
  zero-padded image, one slice per tap; the padding is cropped.
  <conv(x), h> = <x, conv_t(h)>.
- The weight gradient of conv: dK_mat = dA @ cols(X)^T, one product.

Arrays outside the module are flattened in C order, X: (B, C_in H W) and
codes (B, C_out P); ``to_channels`` / ``from_channels`` move between that and
the (C, B P) layout of the products. Array-API code: slicing, stacking,
reshapes and products only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import device_of, namespace


def out_size(n, kernel, stride, padding):
    """Output length of a 1-D convolution: floor((n + 2 padding - kernel) / stride) + 1."""
    return (n + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution (C_in, H, W) -> (C_out, H', W'), and the host mask of taps inside the image."""
    in_shape: tuple
    channels: int
    kernel: int
    stride: int
    padding: int

    def __post_init__(self):
        C, H, W = self.in_shape
        k, s, p = self.kernel, self.stride, self.padding
        Ho, Wo = out_size(H, k, s, p), out_size(W, k, s, p)
        if Ho < 1 or Wo < 1:
            raise ValueError(f"a {k}x{k} kernel with stride {s} and padding {p} does not fit a "
                             f"{H}x{W} image; use a smaller kernel or more padding")
        # tap (i, j) at output (y, x) reads input (s y - p + i, s x - p + j): inside or in the padding?
        i, j, y, x = np.meshgrid(np.arange(k), np.arange(k), np.arange(Ho), np.arange(Wo), indexing="ij")
        iy, ix = s * y - p + i, s * x - p + j
        inside = ((iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)).reshape(k * k, Ho * Wo)
        object.__setattr__(self, "out_hw", (Ho, Wo))
        object.__setattr__(self, "inside", np.tile(inside, (C, 1)).astype(np.float64))   # (C_in k k, P)

    @property
    def n_visible(self):
        C, H, W = self.in_shape
        return C * H * W

    @property
    def n_positions(self):
        return self.out_hw[0] * self.out_hw[1]

    @property
    def n_hidden(self):
        return self.channels * self.n_positions

    def inside_mask(self, like):
        """The (C_in k k, P) mask of taps inside the image on ``like``'s namespace, dtype and device."""
        return namespace(like).asarray(self.inside, dtype=like.dtype, device=device_of(like))


def to_channels(V, n_channels):
    """(B, C n) -> (C, B n): the products' layout (a copy)."""
    xp = namespace(V)
    B = V.shape[0]
    return xp.reshape(xp.permute_dims(xp.reshape(V, (B, n_channels, -1)), (1, 0, 2)), (n_channels, -1))


def from_channels(V, B):
    """(C, B n) -> (B, C n): the caller's layout (a copy)."""
    xp = namespace(V)
    C = V.shape[0]
    return xp.reshape(xp.permute_dims(xp.reshape(V, (C, B, -1)), (1, 0, 2)), (B, -1))


def kernel_matrix(K):
    """K: (C_out, C_in, k, k) -> K_mat: (C_out, C_in k k)."""
    return namespace(K).reshape(K, (K.shape[0], -1))


def _padded(geo, Xc, B):
    """(C_in, B, H + 2p, W + 2p): the images of Xc (C_in, B H W) with p rows and columns of zeros around."""
    xp = namespace(Xc)
    C, H, W = geo.in_shape
    p = geo.padding
    images = xp.reshape(Xc, (C, B, H, W))
    if p == 0:
        return images
    out = xp.zeros((C, B, H + 2 * p, W + 2 * p), dtype=Xc.dtype, device=device_of(Xc))
    out[:, :, p:p + H, p:p + W] = images
    return out


def cols(geo, X):
    """im2col: X (B, C_in H W) -> patches (C_in k k, B P), one strided slice per tap."""
    xp = namespace(X)
    B, (Ho, Wo), k, s = X.shape[0], geo.out_hw, geo.kernel, geo.stride
    Xp = _padded(geo, to_channels(X, geo.in_shape[0]), B)
    taps = [Xp[:, :, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s] for i in range(k) for j in range(k)]
    return xp.reshape(xp.stack(taps, axis=1), (geo.in_shape[0] * k * k, B * Ho * Wo))


def conv_forward(geo, K, X):
    """conv(X, K) without bias: (B, C_out P), and the patches (C_in k k, B P) for the backward."""
    patches = cols(geo, X)
    return from_channels(kernel_matrix(K) @ patches, X.shape[0]), patches


def conv_weight_grad(geo, dA, patches):
    """dK = dA patches^T as (C_out, C_in, k, k); dA: (B, C_out P), patches (C_in k k, B P)."""
    xp = namespace(dA, patches)
    dK = to_channels(dA, geo.channels) @ xp.matrix_transpose(patches)           # (C_out, C_in k k)
    return xp.reshape(dK, (geo.channels, geo.in_shape[0], geo.kernel, geo.kernel))


def conv_transpose(geo, K, H):
    """conv^T(H, K) = M(K)^T h per row, the exact adjoint (col2im): H (B, C_out P) -> (B, C_in H W)."""
    xp = namespace(K, H)
    B, (C, Hh, Ww), (Ho, Wo), k, s, p = H.shape[0], geo.in_shape, geo.out_hw, geo.kernel, geo.stride, geo.padding
    shares = xp.reshape(xp.matrix_transpose(kernel_matrix(K)) @ to_channels(H, geo.channels),
                        (C, k, k, B, Ho, Wo))                                   # every tap's share
    out = xp.zeros((C, B, Hh + 2 * p, Ww + 2 * p), dtype=H.dtype, device=device_of(H))
    for i in range(k):
        for j in range(k):
            rows, cols_ = slice(i, i + s * (Ho - 1) + 1, s), slice(j, j + s * (Wo - 1) + 1, s)
            out[:, :, rows, cols_] = out[:, :, rows, cols_] + shares[:, i, j, ...]
    return from_channels(xp.reshape(out[:, :, p:p + Hh, p:p + Ww], (C, B * Hh * Ww)), B)


def add_channel_bias(V, bias, n_per_channel):
    """V (B, C n_per_channel) + bias (C,) broadcast over each channel's pixels."""
    xp = namespace(V, bias)
    B, C = V.shape[0], bias.shape[0]
    return xp.reshape(xp.reshape(V, (B, C, n_per_channel)) + bias[:, None], (B, C * n_per_channel))


def channel_sum(V, n_channels):
    """sum over the batch and each channel's pixels: V (B, C n) -> (C,); the bias's gradient."""
    xp = namespace(V)
    return xp.sum(xp.reshape(V, (V.shape[0], n_channels, -1)), axis=(0, 2))


def row_norms_sq(geo, K):
    """q = conv(1_x, K * K): (C_out P,), the squared norm of each row of M(K) (taps inside the image)."""
    return namespace(K).reshape(kernel_matrix(K * K) @ geo.inside_mask(K), (geo.n_hidden,))


def contractive_forward(geo, K, D1):
    """(P = mean_b sum_cp s'(a_bcp)^2 q_cp as a 0-d array, q); D1 = s'(A): (B, C_out P)."""
    xp = namespace(K, D1)
    q = row_norms_sq(geo, K)
    return xp.sum((D1 * D1) @ q) / D1.shape[0], q


def contractive_backward(geo, K, D1, D2, q):
    """(dA_P, dK_q): the path through a, (B, C_out P), and the path through q, K's shape.

    dP/da = (2/B) s' s'' q joins the encoder's dA; through q, dP/dK = 2 K * corr(1_x, mean_b s'^2):
    the weight gradient of an all-ones image against the output gradient mean_b s'^2.
    """
    xp = namespace(K, D1)
    B = D1.shape[0]
    dA_P = D1 * D2 * (q * (2.0 / B))
    mean_d1_sq = xp.reshape(xp.sum(D1 * D1, axis=0) / B, (geo.channels, geo.n_positions))
    corr = xp.reshape(mean_d1_sq @ xp.matrix_transpose(geo.inside_mask(K)), K.shape)   # (C_out, C_in, k, k)
    return dA_P, 2.0 * K * corr
