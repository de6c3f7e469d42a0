"""HTTP side of the SDK: the wire models and the compact task client."""
