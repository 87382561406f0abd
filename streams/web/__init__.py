"""The newsroom dashboard: bounded in-memory state fed by the public downstream topics, served over HTTP.

Reads only the public topics with its own consumer group; imports `streams.events`, `streams.kafka` and
`streams.settings`, never a stage or the worker.
"""
