"""Nudges: gentle scheduled reminders a team lead sets up for a channel or chat."""
