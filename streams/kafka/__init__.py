"""Kafka infrastructure: plain aiokafka clients built from settings, topic administration, range reading
and the local broker for development, tests, the demo and the bench.

`clients` is the one place that builds a client (producer, consumer, admin) and translates the security
settings (TLS context, SASL); `admin` applies the flow's topic declarations; `ranges` reads a topic range to
its end; `local` starts the project's own Apache Kafka and waits for workers. May import `streams.events`
and `streams.settings`, nothing of the stages.
"""
