"""Criteria over a case's facts: the world of one case (its facts, with timing and every
framework's outputs derived from the knowledge tables), decisions resolved over the open
questions, and what they mean in words. Knows the frameworks only as data."""
