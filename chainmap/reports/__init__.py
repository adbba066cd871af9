"""Renderers of chainmap results: gap reports (json, markdown, html, xlsx, svg) and project exports."""
