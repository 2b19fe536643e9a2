"""Clinical-trial registry (curated and imported) and criterion-by-criterion matching."""
