"""The engine version (every assessment carries it)."""

__version__ = "0.1.0"
