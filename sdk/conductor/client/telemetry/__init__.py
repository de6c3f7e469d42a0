"""Prometheus metrics of worker processes (the ``[metrics]`` extra): see ``prometheus``."""
