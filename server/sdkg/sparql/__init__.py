"""The SPARQL 1.1 Protocol layer: request parsing, content negotiation, query execution."""
