"""Operator tools behind the `newsstreams` command: ingest, process, replay, diff, eval, bench and demo.

They import anything below them (stages, Kafka infrastructure, events, settings); nothing imports them
except `cli`.
"""
