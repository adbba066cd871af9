"""Seed data of chainmap (data files only; read by chainmap.seed)."""
