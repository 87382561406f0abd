"""Kills and corrections: an article withdrawn everywhere it went, and a new version that takes back what it
no longer says (issue 23). `gate` decides what reaches news.articles.clean; `retract` what enrich takes back."""
