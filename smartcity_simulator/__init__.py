"""The simulator of the example data: a package of its own that the product never imports.

``simulate_raw`` writes raw files in every accepted layout, with planted
faults and the true parameters beside them, so that the cleaning and the
statistics can be tested against a known answer. Run it as
``python -m smartcity_simulator --out DIR``.
"""

from smartcity_simulator.model import STRESS_SCENARIOS, simulate_panels
from smartcity_simulator.simulate import simulate_raw

__all__ = ["STRESS_SCENARIOS", "simulate_panels", "simulate_raw"]
