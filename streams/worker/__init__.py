"""The Faust worker runtime: the app factory (a list of each feature's `register`), delivery of outputs and
dead letters, health and metrics, and the guards around Faust's rebalance handling.

The only package that builds the Faust app; it imports the features, no feature imports it.
"""
