"""Idea box (アイデア投稿): the domain of ideas, starting with the "similar ideas first" look-up."""
