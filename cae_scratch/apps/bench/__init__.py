"""The benchmark: ``run`` (measurements), ``report`` (tables, the spread over runs, machine facts), ``passes``
(the step timed pass by pass), ``hessian`` (the CAE+H step) and ``torch_peer`` (PyTorch autograd)."""
