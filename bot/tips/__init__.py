"""Shin-Tosei tips: the curated library, per-user history, feedback and tip-of-the-day subscriptions."""
