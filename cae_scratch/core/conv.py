"""A 2-D convolution from scratch, its exact adjoint, and the convolutional contractive penalty.

A convolution is a linear map x -> M(K) x with a structured matrix M, so a
convolutional CAE is the dense CAE with W = M(K) and the tied decoder M(K)^T::

    a = conv(x, K) + b_h      h = s(a)      z = conv^T(h, K) + b_r      r = g(z)
    J(x) = diag(s'(a)) M(K)
    ||J(x)||_F^2 = sum_{c,p} s'(a_cp)^2 q_cp,     q = conv(1_x, K * K)

q_cp is the squared norm of row (c, p) of M: the sum of K_c^2 over the taps
that land inside the image (with no padding, ||K_c||^2 at every position p).

Both maps are one gather and one matrix product (im2col, CS231n's "fast
layers"). ``ConvGeometry`` holds the index arrays, built once on the host:

- ``cols(X)``: (B, C_in k k, P) patches, P = H' W' output positions; taps in
  the zero padding read an appended zero, so there is no padded copy of X.
- ``conv(X, K)  = K_mat @ cols(X)``: (B, C_out, P), K_mat: (C_out, C_in k k).
- ``conv_t(H, K) = K_adj @ rows(H)``: (B, C_in, H W), the exact adjoint: each
  input pixel gathers, for every tap (c_out, i, j), the output position whose
  patch put that tap on it (or a zero). <conv(x), h> = <x, conv_t(h)>.
- The weight gradient of conv: dK_mat = sum_b dA_b cols(X)_b^T.

Arrays are flattened in C order: X (B, C_in H W), codes (B, C_out P). Shapes
inside the module keep the channel axis: (B, C, pixels). Array-API code: the
gathers are ``xp.take`` with host-built indices.
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
    """Sizes and host index arrays of one convolution (C_in, H, W) -> (C_out, H', W')."""
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
        # patch (c, i, j) at output (y, x) reads input (c, s y - p + i, s x - p + j)
        c, i, j, y, x = np.meshgrid(np.arange(C), np.arange(k), np.arange(k), np.arange(Ho), np.arange(Wo),
                                    indexing="ij")
        iy, ix = s * y - p + i, s * x - p + j
        inside = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
        cols = np.where(inside, (c * H + np.clip(iy, 0, H - 1)) * W + np.clip(ix, 0, W - 1), C * H * W)
        # the adjoint: input (c_in, u, v) gathers output (c_out, y, x) with s y - p + i = u, for each tap
        o, i, j, u, v = np.meshgrid(np.arange(self.channels), np.arange(k), np.arange(k), np.arange(H),
                                    np.arange(W), indexing="ij")
        ty, tx = u + p - i, v + p - j
        hit = (ty % s == 0) & (tx % s == 0) & (ty >= 0) & (tx >= 0) & (ty // s < Ho) & (tx // s < Wo)
        rows = np.where(hit, (o * Ho + np.clip(ty // s, 0, Ho - 1)) * Wo + np.clip(tx // s, 0, Wo - 1),
                        self.channels * Ho * Wo)
        object.__setattr__(self, "out_hw", (Ho, Wo))
        object.__setattr__(self, "cols_index", cols.reshape(-1))           # (C_in k k P,)
        object.__setattr__(self, "rows_index", rows.reshape(-1))           # (C_out k k H W,)
        object.__setattr__(self, "inside", inside.reshape(C * k * k, Ho * Wo).astype(np.float64))

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

    def index(self, name, like):
        """The host index array ``name`` on ``like``'s namespace and device."""
        xp = namespace(like)
        return xp.asarray(getattr(self, name), device=device_of(like))


def _gather(flat, index, n_rows, n_cols):
    """(B, n_rows, n_cols) = flat[:, index] with one appended zero column (the padding's reads)."""
    xp = namespace(flat)
    zero = xp.zeros((flat.shape[0], 1), dtype=flat.dtype, device=device_of(flat))
    picked = xp.take(xp.concat([flat, zero], axis=1), index, axis=1)
    return xp.reshape(picked, (flat.shape[0], n_rows, n_cols))


def kernel_matrix(K):
    """K: (C_out, C_in, k, k) -> K_mat: (C_out, C_in k k)."""
    return namespace(K).reshape(K, (K.shape[0], -1))


def cols(geo, X):
    """im2col: X (B, C_in H W) -> patches (B, C_in k k, P)."""
    C = geo.in_shape[0]
    return _gather(X, geo.index("cols_index", X), C * geo.kernel ** 2, geo.n_positions)


def conv_forward(geo, K, X):
    """conv(X, K) without bias: (B, C_out P), and the patches (B, C_in k k, P) for the backward."""
    xp = namespace(K, X)
    patches = cols(geo, X)
    A = kernel_matrix(K) @ patches                                # (B, C_out, P)
    return xp.reshape(A, (X.shape[0], geo.n_hidden)), patches


def conv_weight_grad(geo, dA, patches):
    """dK = sum_b dA_b patches_b^T as (C_out, C_in, k, k); dA: (B, C_out P), patches (B, C_in k k, P)."""
    xp = namespace(dA, patches)
    dA3 = xp.reshape(dA, (dA.shape[0], geo.channels, geo.n_positions))
    dK = xp.tensordot(dA3, patches, axes=([0, 2], [0, 2]))        # (C_out, C_in k k)
    C = geo.in_shape[0]
    return xp.reshape(dK, (geo.channels, C, geo.kernel, geo.kernel))


def conv_transpose(geo, K, H):
    """conv^T(H, K) = M(K)^T h per row, the exact adjoint: H (B, C_out P) -> (B, C_in H W)."""
    xp = namespace(K, H)
    C, k = geo.in_shape[0], geo.kernel
    K_adj = xp.reshape(xp.permute_dims(K, (1, 0, 2, 3)), (C, geo.channels * k * k))
    rows = _gather(H, geo.index("rows_index", H), geo.channels * k * k, geo.in_shape[1] * geo.in_shape[2])
    return xp.reshape(K_adj @ rows, (H.shape[0], geo.n_visible))


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
    xp = namespace(K)
    inside = xp.asarray(geo.inside, dtype=K.dtype, device=device_of(K))
    return xp.reshape(kernel_matrix(K * K) @ inside, (geo.n_hidden,))


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
    inside = xp.asarray(geo.inside, dtype=K.dtype, device=device_of(K))
    corr = xp.reshape(mean_d1_sq @ xp.matrix_transpose(inside), K.shape)     # (C_out, C_in, k, k)
    return dA_P, 2.0 * K * corr
