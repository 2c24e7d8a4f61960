"""Stage 2, processed -> analysis: the index and ranks, their uncertainty, cohorts and pillar drivers.

Imports only from the shared modules and from ``clean``'s table names; the
national tables are written once by ``run.run_analysis`` to
``data/processed/analysis/``.
"""
