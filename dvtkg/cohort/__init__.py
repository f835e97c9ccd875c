"""Cohorts: many cases at once, column-wise, on Dask (``dvtkg cohort run``, docs/cohorts.md).

``frame.py`` reads case sheets into one flat table (a column per case key);
``columnar.py`` is the compiled engine evaluated over such a table (the same compiled
TBox and guidance tables as ``Assessor(engine="fast")``, one numpy column per class);
``rows.py`` turns a single-case assessment into the same rows (the fallback and the
proof); ``run.py`` runs it over partitions on a Dask cluster and writes Parquet;
``summary.py`` reads the output back.
"""
