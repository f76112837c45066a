"""SDKG: the Security Discourse Knowledge Graph."""

__version__ = "0.1.0"
