import pytest

from fake_server.engine.domains import queue_name, resolve_domain


def active(*pairs):
    return lambda task_type, domain: (task_type, domain) in pairs


@pytest.mark.parametrize(
    ("mapping", "workers", "expected"),
    [
        (None, [], None),
        ({}, [], None),
        ({"other": "x"}, [], None),
        ({"greet": "cool"}, [], "cool"),  # one entry: used even without a worker
        ({"*": "star"}, [], "star"),
        ({"*": "star", "greet": "own"}, [], "own"),  # the type's own entry beats "*"
        ({"greet": "gpu,cpu"}, [("greet", "cpu")], "cpu"),  # first with an active worker
        ({"greet": "gpu,cpu"}, [("greet", "gpu"), ("greet", "cpu")], "gpu"),
        ({"greet": "gpu,cpu"}, [], "cpu"),  # none active: the last entry anyway
        ({"greet": "gpu,cpu,NO_DOMAIN"}, [], None),  # none active, last is NO_DOMAIN
        ({"greet": "gpu, cpu ,NO_DOMAIN"}, [("greet", "cpu")], "cpu"),  # entries are trimmed
        ({"greet": "NO_DOMAIN,gpu"}, [], "gpu"),  # NO_DOMAIN elsewhere means nothing
        ({"greet": "NO_DOMAIN"}, [], None),
        ({"greet": "gpu"}, [("other", "gpu")], "gpu"),
        ({"greet": "gpu,cpu"}, [("other", "gpu")], "cpu"),  # workers of other types don't count
    ],
)
def test_resolve_domain(mapping, workers, expected):
    """Mirrors WorkflowExecutorOps.setTaskDomains and getActiveDomain."""
    assert resolve_domain(mapping, "greet", active(*workers)) == expected


def test_queue_name():
    """Mirrors QueueUtils.getQueueName."""
    assert queue_name("greet", None) == "greet"
    assert queue_name("greet", "cool") == "cool:greet"
