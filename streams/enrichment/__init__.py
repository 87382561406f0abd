"""Enrichment: one spaCy parse per clean article feeds entities, quotes, IPTC topics and key phrases.

`nlp` loads the model and parses; `entities`, `quotes` and `iptc` (the IPTC Media Topics classifier) are
pure stages over the parse; `enrich` builds the enriched article and its fan-out events; `people` folds
`news.people.learned` into each worker's memory; `agents` wires the batched enrich agent with `register`.
Stage modules import neither faust nor aiokafka; they may import `streams.events` and `streams.settings`.
"""
