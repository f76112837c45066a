"""Adding a text: the commands around the authoring compiler (``sdkg new-source``, ``anchor``,
``import-annotations``, ``convert``), the round trip of the encoded texts, and the SSSOM rows for
new entities.

The compiler itself (:mod:`sdkg.authoring`) sits below :mod:`sdkg.project`, which loads authoring
files with it; these commands read and write whole projects, so they stand above it.
"""
