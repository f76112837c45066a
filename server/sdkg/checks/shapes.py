"""The SHACL shapes of a project, read into one rdflib graph (both engines read it)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import rdflib

from ..project import ProjectError


def load_shapes(shapes_dir: Path) -> rdflib.Graph:
    """All ``shapes/*.ttl`` in one graph; a syntax error names the file, line and column.

    pyoxigraph parses (its errors say where), rdflib holds the result.
    """
    shapes = rdflib.Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        try:
            triples = ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as error:
            raise ProjectError(path, f"cannot parse shapes: {error.msg}", error.lineno, error.offset) from None
        except (OSError, ValueError) as error:
            raise ProjectError(path, f"cannot read shapes: {error}") from None
        if data:
            shapes.parse(data=data, format="nt")
    return shapes
