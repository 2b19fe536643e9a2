"""The small rule evaluator: facts, conditions and three-valued evaluation by enumeration."""
