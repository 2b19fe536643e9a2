"""Derived facts of the assessed relapse."""
