"""Loading and linting the versioned knowledge base."""
