"""The throughput benchmark: ``python -m harness bench`` (see ``docs/benchmarks.md``).

- ``worker_main.py``: the worker side of every run, run by path with any interpreter that has a
  Conductor worker SDK (imports only ``conductor.client`` and the standard library);
- ``raw_main.py``: a plain client loop with ``requests`` (the ceiling, the servers' capacity);
- ``bare_flask.py``: a trivial Flask app on the fake server's WSGI server;
- ``runs``: one measurement each (drain, quiet, capacity, soak); ``suite``: all of them, in
  order; ``summary``: medians, ratios, targets; ``tables``, ``plot``: the output;
  ``figures``: the arithmetic; ``procs``: child processes and ``psutil``; ``cli``: the command.
"""
