"""Querying a store: an :class:`~.engine.Engine` answers one :class:`~.job.QueryJob` with one
:class:`~.job.QueryOutput`, or raises one of the engine-neutral errors of :mod:`.errors`.

Nothing here knows HTTP or how a store was built. Engines: :class:`~.engine.LocalEngine`,
:class:`~.workers.WorkerEngine` (worker processes killed at the deadline),
:class:`~.remote.RemoteEngine` (any SPARQL 1.1 store). Query text is read and edited with one
tokeniser (:mod:`.tokens`): :mod:`.bindings`, :mod:`.guard`, :mod:`.dataset`, :mod:`.federation`.
"""
