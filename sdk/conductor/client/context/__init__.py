"""What a running worker can learn about its task, and how it reports long-running work."""
