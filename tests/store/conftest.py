from tests.databases import db_url

__all__ = ["db_url"]
