"""Lead matching: candidate import, segment mapping, scoring and ranking."""
