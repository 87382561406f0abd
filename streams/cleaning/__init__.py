"""Cleaning: raw feed bytes to a validated, structured CleanArticle, with per-source state.

`raw` decodes and validates a feed message (our contract or ninjs); `clean` holds the pure raw → clean
functions (no Kafka, no app); `boilerplate` the per-source learned boilerplate, versions and syndication
over any mapping; `stage` chains them as the agents and `process` run them; `agents` wires them into the
worker with `register`. Stage modules import neither faust nor
aiokafka; they may import `streams.events` and `streams.settings`.
"""
