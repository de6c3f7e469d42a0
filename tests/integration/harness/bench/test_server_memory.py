"""``python -m harness.bench.server_memory`` at a tiny scale: a real fake-server process with a
retention, a plain client loop and paced workflow starts; it prints the samples, what the
retention removed, the server's RSS, Python blocks and C heap, and a verdict on flatness
(never judged here: figures, not a timed test)."""

from __future__ import annotations

import subprocess
import sys


def test_a_short_run_prints_memory_what_is_held_and_what_was_removed():
    command = [sys.executable, "-m", "harness.bench.server_memory", "--minutes", "0.25"]
    command += ["--retention", "1", "--rate", "20", "--sample-seconds", "3", "--feeders", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Fake server memory, 0.25 min, retention 1 s, 20 workflows/s offered" in out
    table = out.split("Fake server memory")[1].splitlines()[3:]
    rows = [line.split() for line in table if line.strip() and line.split()[0].isdigit()]
    assert len(rows) >= 4
    seconds, started, held, removed, rss, blocks, c_in_use, c_free = zip(*rows, strict=True)
    assert int(removed[-1]) > 0  # the retention removed ended workflows
    assert all(float(mb) > 10 for mb in rss)  # the server's RSS, in MB
    assert all(int(k) > 50 for k in blocks)  # Python's allocated blocks, in thousands
    assert float(started[-1]) > 0
    assert "Over the second half (" in out and "\nFlat: " in out
