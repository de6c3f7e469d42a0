"""An in-memory imitation of the Conductor server: a pure-Python engine and a thin Flask layer."""
