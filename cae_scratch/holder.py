"""``Holder``: what every model holder shares -- placement, validated parameters, host data in, files.

A holder (``ContractiveAutoencoder``, ``TangentClassifier``, and the next ones) is a thin object of
sizes, settings, a backend and parameters whose methods call pure functions. By subclassing this
class it gets, without writing them again:

- ``_place(backend, device, dtype, seed)``: the checked dtype and seed, the namespace and device;
- ``params``: one validated setter (``validation.parameters``: keys, shapes, backend, dtype, finite;
  copies, so training one holder never changes another) over the shapes of ``param_shapes()``;
- ``asarray``: host data (NumPy, lists) onto the holder's backend, dtype and device;
- ``_read(path, ...)``: the file's (header, host params), every error a ValueError naming the file
  (``read``, ``serialize.load``), and ``_from_file``: the holder built from them inside
  ``serialize.invalid_header``. (``StackedCAE``, a holder of holders, uses ``read`` and that context.)

Labels and one-hot targets: ``validation.labels`` / ``validation.one_hot``; minibatches, epochs and
the progress bar: ``train.minibatches`` / ``train.end_epoch`` / ``train.progress_bar``; initial
weights: ``core.layers.glorot_params``.
"""
from __future__ import annotations

from . import backend as backends, serialize, validation as check


class Holder:
    """Base of the model holders; a subclass defines ``param_shapes()`` and (for files) ``MODEL``."""

    MODEL = serialize.HOLDER

    def _place(self, backend, device, dtype, seed):
        self.dtype_name = check.choice("dtype", dtype, backends.DTYPES)
        self.backend, self.seed = backend, check.seed(seed)
        self.xp, self.device, self.dtype = backends.placement(backend, device, dtype)

    def param_shapes(self):
        """{name: shape} of the parameters."""
        raise NotImplementedError

    @property
    def params(self):
        """dict of the parameter arrays (names and shapes: ``param_shapes()``); assign a dict to replace them.

        Assignment validates keys, shapes, backend and finiteness and stores copies: training this
        holder never changes the arrays assigned (nor another holder they came from).
        """
        return self._params

    @params.setter
    def params(self, new):
        self._params = check.parameters(new, self.param_shapes(), self.xp, self.dtype, self.device)

    def asarray(self, X):
        """Host data (NumPy, lists) -> an array of this holder's backend, dtype and device."""
        host = X if isinstance(X, (list, tuple)) else backends.to_numpy(X)
        return backends.asarray(host, self.xp, self.dtype, self.device)

    @classmethod
    def _read(cls, path, expected_shapes, backend, dtype):
        return read(path, expected_shapes, cls.MODEL, backend, dtype)

    @classmethod
    def _from_file(cls, path, host, build):
        """``build()`` (a holder made from the header) with ``host`` as its parameters; any TypeError or
        ValueError becomes a ValueError naming the file."""
        with serialize.invalid_header(path, cls.MODEL):
            holder = build()
            holder.params = {k: holder.asarray(v) for k, v in host.items()}
        return holder


def read(path, expected_shapes, model, backend, dtype):
    """(header, host params) of a file of ``model`` (``serialize.load``); the caller's own arguments,
    ``backend`` and ``dtype``, are checked first, so their errors are theirs, not the file's."""
    if dtype is not None:
        check.choice("dtype", dtype, backends.DTYPES)
    backends.get_namespace(backend)
    return serialize.load(path, expected_shapes, model)
