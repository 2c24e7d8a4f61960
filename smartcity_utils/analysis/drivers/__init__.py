"""Which pillars go with the headline index and the rank: one module per method.

``inputs`` checks a table and picks notebook 03's regency-years
(``driver_inputs``); ``ols``, ``dominance``, ``main_effects``,
``rank_methods`` and ``mixed`` each estimate one thing; ``eiv`` is the
errors-in-variables estimator and ``lead`` the estimate the notebook leads
with, and the one table of slopes the reports read (``lead_driver_estimates``);
``general`` splits the pillars' shared level from what each adds beyond it;
``intervals`` (the bootstrap), ``orders`` (how sure an order of the pillars
is) and ``leniency`` (assessors' leniency taken out) serve them; ``summary``
writes the closing table; ``run`` calls them all; ``command`` is
``smartcity drivers``. The reader's tables and sentences of notebook 03 are
made in :mod:`smartcity_utils.report.drivers`.
"""

from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.main_effects import main_effects
from smartcity_utils.analysis.drivers.mixed import mixed_model_drivers
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.drivers.rank_methods import (
           ordinal_rank_drivers,
           rank_bands,
           spearman_rank_drivers,
)
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.analysis.drivers.summary import driver_summary

__all__ = ["dominance_analysis", "driver_summary", "main_effects", "mixed_model_drivers", "ols_drivers",
           "ordinal_rank_drivers", "rank_bands", "run_driver_analysis", "spearman_rank_drivers"]
