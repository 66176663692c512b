"""The Microsoft 365 Agents Playground in front of the bot: `make playground` for people, the browser tests for CI."""
