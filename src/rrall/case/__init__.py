"""The case format: typed model, validation, loading, JSON Schema."""
