"""Production workers carry nothing of the test tooling, and importing the SDK changes nothing
process-wide (design.md): checked in a fresh interpreter."""

import json
import subprocess
import sys

PROBE = """
import json, logging, multiprocessing, signal, sys
before_handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
root_handlers = list(logging.getLogger().handlers)
import conductor.client.automator.task_handler
import conductor.client.configuration.configuration
import conductor.client.worker.worker
import conductor.client.worker.worker_task
import conductor.client.context.task_context
print(json.dumps({
    "modules": sorted(sys.modules),
    "start_method": multiprocessing.get_start_method(allow_none=True),
    "signals_changed": any(signal.getsignal(s) != h for s, h in before_handlers.items()),
    "root_handlers_added": len(logging.getLogger().handlers) - len(root_handlers),
    "sdk_handlers": len(logging.getLogger("conductor.client").handlers),
}))
"""


def test_importing_the_sdk_loads_no_test_tooling_and_sets_no_global_state():
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(run.stdout)
    top_level = {name.split(".")[0] for name in seen["modules"]}
    server_side = {"flask", "werkzeug", "waitress", "granian", "fake_server", "harness"}
    assert not top_level & (server_side | {"pytest"})
    assert "requests" in top_level
    assert seen["start_method"] is None
    assert seen["signals_changed"] is False
    assert seen["root_handlers_added"] == 0
    assert seen["sdk_handlers"] == 0
