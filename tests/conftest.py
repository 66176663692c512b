"""Shared fixtures: the loopback Teams channel, the Graph emulator and the throwaway databases are pytest plugins."""

pytest_plugins = ["tests.teams_channel.fixtures", "tests.graph_emulator.fixtures", "tests.fixtures_db"]
