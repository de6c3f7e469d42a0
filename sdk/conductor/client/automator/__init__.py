"""Running workers: one process per worker (TaskHandler), a polling loop inside each."""
