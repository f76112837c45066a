"""The HTTP layer: the FastAPI application, linked-data pages and the web UI."""
