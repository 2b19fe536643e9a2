"""Three-valued criteria over facts, and decisions under partial knowledge.

This package knows nothing of leukemia and imports nothing else of rrall: it gives a
small closed vocabulary of criteria (values.py, criteria.py), their readable YAML
shorthand (parse.py), worlds of partially known facts (world.py) and the resolution of a
decision over every value the unknown facts could take (resolve.py).
"""
