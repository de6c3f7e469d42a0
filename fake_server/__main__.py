"""``python -m fake_server``: see :mod:`fake_server.cli`."""

from fake_server.cli import main

raise SystemExit(main())
