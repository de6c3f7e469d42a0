"""Runs real Conductor workers against the fake server: fixtures, scenarios, benchmarks."""
