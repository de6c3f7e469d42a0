"""The throughput benchmark: ``python -m harness bench`` (see ``docs/benchmarks.md``).

``cli``: the command; ``runs``: the measurements and their order; ``summary``: the arithmetic,
medians, ratios, targets and the description of each figure; ``output``: progress, tables and
chart; ``procs``: child processes and ``psutil``. Run as child processes: ``worker_main.py``
(an SDK's workers, under any interpreter that has one; with ``--plain``, the plain client loop,
the ceiling) and ``bare_flask.py`` (a trivial Flask app on the fake server's HTTP server).
"""
