"""The applications built on the library: the command line (``cli``), the experiment and the benchmark.

Nothing outside ``apps`` imports it.
"""
