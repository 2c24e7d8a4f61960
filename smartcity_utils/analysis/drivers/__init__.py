"""Which pillars go with the headline index and the rank: one module per method.

``inputs`` checks a table and picks notebook 03's regency-years
(``driver_inputs``); ``ols``, ``dominance``, ``main_effects``,
``rank_methods`` and ``mixed`` each estimate one thing; ``lead`` is the
errors-in-variables estimate the notebook leads with, and the one table of
slopes the reports read (``lead_driver_estimates``);
``summary`` writes the closing table; ``run`` calls them all; ``story``
turns the results into the reader's tables and sentences of notebook 03;
``command`` is ``smartcity drivers``.
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
