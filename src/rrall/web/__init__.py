"""The tumor-board workbench: REST API, web pages and storage, over the one `assess()`."""
