"""The math of a contractive autoencoder, as pure functions of arrays (imports ``backend`` only).

Reading order:

1. ``activations`` -- s, s', s'', s''' of each activation (the penalty needs s'', CAE+H s''').
2. ``layers``      -- the encoder's and decoder's dense layers as forward/backward pairs; tied weights.
3. ``losses``      -- bce (stable, from the logits) and mse as forward/backward pairs.
4. ``penalty``     -- the contractive penalty's closed form as a forward/backward pair, and the
                      explicit Jacobian (in bounded chunks) that proves it.
5. ``hessian``     -- CAE+H: the exact and stochastic Hessian terms as forward/backward pairs, and
                      the explicit Hessian (in bounded chunks) that proves the closed form.
6. ``network``     -- Spec, init_params, and ``loss_and_grads``: the pairs composed top to bottom,
                      the reference step, for reading and for proving.
7. ``fused``       -- the fast twin of ``network.loss_and_grads``: the same stages in the same order,
                      in place, in reused buffers (``inplace``: its kernels; ``fused_hessian``: its
                      CAE+H stages); tests hold the two equal.
8. ``reconstruction_penalty`` -- ||dr/dx||_F^2 for a linear decoder in closed form (two Gram
                      matrices) as a forward/backward pair, and the explicit J_r that proves it.
9. ``forward_mode`` -- J u through L layers beside the forward pass, and its backward by hand.
10. ``deep``       -- a deep encoder from the layer pairs; the stack unrolled as a deep autoencoder with
                      the probe estimate of its penalty.
11. ``tangentprop`` -- the tangent classifier with L hidden layers: its loss from the pairs, tangent
                      propagation through ``forward_mode``.
12. ``conv``, ``conv_network`` -- a convolution and its adjoint by im2col, the penalty's closed form
                      q = conv(1_x, K*K), and the convolutional CAE's step.
"""
