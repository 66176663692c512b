"""Benchmarks (`make bench`): measured against the loopback Teams channel, never against the internet."""
