"""Quotes: direct quotations in a parsed article, each with its speech cue and canonical speaker."""

from __future__ import annotations

from streams.enrichment.quotes.attribution import Quote, extract_quotes, extract_quotes_and_speakers
from streams.enrichment.quotes.spans import is_title, quote_kind

__all__ = ["Quote", "extract_quotes", "extract_quotes_and_speakers", "is_title", "quote_kind"]
