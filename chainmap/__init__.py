"""chainmap domain core: chain model, graph, gap analysis, pipeline, storage."""

__version__ = "0.1.0"
