"""Topic declarations and event contracts: what travels where, in which shape, and how a refusal is named.

`flow` declares every topic in flow order; `records` the typed events (Faust Records) and their CloudEvents
envelope; `contracts` the language-neutral JSON Schemas; `errors` the stable reason codes; `deadletter` the
event a refused input becomes. Imports only `streams.settings`; every other package may import it.
"""
