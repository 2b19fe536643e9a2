"""Cohort mode: many cases from a table, one results table and a summary report."""
