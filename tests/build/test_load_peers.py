"""The peers of the load benchmark (``bench.loadratio``, and ``make bench``'s scale step): ``oxigraph load`` of
the N-Quads that ``same_graphs`` writes fills the store that the build's load phase fills, quad for quad, so
that the two are timed doing the same work."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox

from bench import servers
from bench.loadratio import same_graphs
from bench.synthetic import generate
from sdkg.build.pipeline import load
from sdkg.layout import ProjectLayout
from sdkg.progress import Progress
from sdkg.project import RDF_KINDS, discover


def without_blank_labels(quads: ox.Store) -> Counter[tuple[str, ...]]:
    """The quads with every blank node written alike (each parse gives them new labels), counted."""
    return Counter(tuple("_:" if isinstance(t, ox.BlankNode) else str(t) for t in quad) for quad in quads)


def test_oxigraph_load_of_the_same_graphs_writes_the_quads_the_build_loads(tmp_path: Path) -> None:
    root = generate(tmp_path / "project", 40)
    ours = ox.Store(str(tmp_path / "ours"))
    files = [file for file in discover(ProjectLayout.at(root)) if file.kind in RDF_KINDS]
    load(files, ours, Progress(enabled=False))
    quads = same_graphs(root, tmp_path / "nquads")
    servers.oxigraph_load(tmp_path / "peer", quads, tmp_path / "logs")
    peer = ox.Store.read_only(str(tmp_path / "peer"))
    loaded = set(ours)
    assert len(loaded) > 1000 and len({q.graph_name for q in loaded}) > 1  # named graphs, not the default
    assert without_blank_labels(peer) == without_blank_labels(ours)
