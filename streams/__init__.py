"""newsstreams: real-time news enrichment on Kafka with Faust and spaCy."""

__version__ = "0.1.0"
