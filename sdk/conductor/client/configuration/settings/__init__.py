"""Settings objects that Configuration and TaskHandler accept."""
