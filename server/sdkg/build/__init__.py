"""Building the store: the pipeline from the project's files to a published build, and the admin
change pipeline that makes a new build from a served one.

- :mod:`.pipeline`: ``sdkg build`` (files → parse → validate → rules → load → publish);
- :mod:`.changes`: admin writes (SPARQL Update, Graph Store writes), all or nothing;
- :mod:`.publish`: the step both end with (seal the store and its record, publish, prune);
- :mod:`.rules`: the derived relations (the inferred graph).

The read side (:mod:`sdkg.sparql`) never imports this package: it reads published builds
through :mod:`sdkg.builds`.
"""

from __future__ import annotations

from .pipeline import BuildFailed, BuildResult, build

__all__ = ["BuildFailed", "BuildResult", "build"]
