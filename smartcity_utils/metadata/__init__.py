"""What the package knows about its inputs and outputs, as data: the raw layouts (``layouts``), every column
(``fields``) and every table (``resources``).

Each raw layout has one entry in :mod:`smartcity_utils.metadata.layouts`: the
header that identifies it, its priority in detection, its required columns,
its parser and the builder of each table of its own. Each processed table (``smartcity clean``, ``data/processed/``)
and each analysis table (``smartcity analyse``, ``data/processed/analysis/``)
has one specification in :mod:`smartcity_utils.metadata.resources`: its
columns in order with their types, whether they may be empty and what values
they hold, its key, and its checks. The pandera schemas of the cleaning, the
column order the cleaning writes, the tables a report reads and the tables of
``docs/data_model.md`` (:mod:`smartcity_utils.metadata.docs`) all come from
it. A shared package: it imports no stage.
"""
