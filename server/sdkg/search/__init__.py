"""The search index: full-text search, type-ahead and the claim explorer's facets, one SQLite file per build.

- :mod:`.schema`: the file's name and tables, the kinds of document and the facets;
- :mod:`.build`: :func:`~.build.write_index`, the build's step that writes it from the store;
- :mod:`.syntax`: what a person types, parsed safely into an FTS5 query;
- :mod:`.index`: :class:`~.index.SearchIndex`, the reader a server opens for the build it serves,
  within a time limit and a row cap like every query;
- :mod:`.explore`: the facets and keyset paging of the claim explorer, in memory per build;
- :mod:`.cite`: citations of a claim card (text, BibTeX, CSL-JSON).
"""
