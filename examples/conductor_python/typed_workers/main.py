"""Runs the workers of workers.py the way conductor-python's README manages workers in an
application: an empty list of workers, decorated workers found by scanning and by importing
the module named in import_modules."""

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration


def main() -> None:
    api_config = Configuration()  # http://localhost:8080/api, or CONDUCTOR_SERVER_URL
    task_handler = TaskHandler(
        workers=[],
        configuration=api_config,
        scan_for_annotated_workers=True,
        import_modules=["workers"],
    )
    task_handler.start_processes()
    task_handler.join_processes()  # until Ctrl-C or SIGTERM


if __name__ == "__main__":
    main()
