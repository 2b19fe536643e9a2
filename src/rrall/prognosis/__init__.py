"""Published prognosis figures whose population matches the case."""
