"""Shared fixtures: the loopback Teams channel and the throwaway databases are pytest plugins of their own."""

pytest_plugins = ["tests.teams_channel.fixtures", "tests.fixtures_db"]
