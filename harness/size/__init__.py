"""Sizing a user's worker: ``python -m harness size`` (see ``docs/sizing.md``).

``cli``: the command; ``loading``: the worker and the sample inputs, from import paths;
``queue``: the sizing task's definitions, feeding tasks at a rate and reading the server's
timestamps, through Conductor's public API (fake or real), and removing what it created;
``sweep``: running one configuration (``worker_side.py`` in its own process) and choosing the
next; ``verdict``: the arithmetic, the bound of a run and the recommendation (pure functions);
``output``: the tables, the chart and the HTML page.
"""
