"""Gap analysis: one module per family of networkx-style pure functions."""
