from tests.web.conftest import bench, db_url

__all__ = ["bench", "db_url"]
