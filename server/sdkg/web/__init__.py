"""HTTP: the FastAPI application (:mod:`.app` assembles it), its routers, the one error path
(:mod:`.errors`) and the one way a response is finished (:mod:`.finish`).

See docs/architecture.md for one request's path and how to add a route.
"""
