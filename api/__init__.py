"""HTTP API (FastAPI) and the root ``chainmap`` command."""
