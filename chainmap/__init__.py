"""chainmap domain core: chain model, read model, graph, gap analysis, investment projects, storage."""

__version__ = "0.1.0"
