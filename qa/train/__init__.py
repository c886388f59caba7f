"""Training data for the ranker: real manuals (manuals) and questions generated from them (generate)."""
