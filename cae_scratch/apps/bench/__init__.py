"""The benchmark: ``run`` (measurements), ``report`` (tables, machine facts), ``torch_peer`` (PyTorch autograd)."""
