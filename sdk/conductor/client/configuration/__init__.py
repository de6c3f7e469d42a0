"""Where the SDK finds the server, and how it authenticates."""
