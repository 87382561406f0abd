"""Quality evaluation over a folder laid out like ../shared/eval, one module per metric."""
