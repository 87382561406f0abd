"""Trending: event-time windowed counts of entity and topic mentions, published for dashboards.

`windows` holds the counting and its `register`. May import `streams.events` and `streams.settings`.
"""
