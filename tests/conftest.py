"""Hypothesis runs the same examples on every run unless asked to explore.

CI and the README's test command use the derandomised profile, with no example database, so that a run
is reproducible and a red property test is red again on the next run. `HYPOTHESIS_PROFILE=explore`
draws new examples each time and remembers failures in `.hypothesis/`: run it by hand, as often as
you like (see the README), to search further; `benchmarks.parser_ceiling` searches the parsers' cost.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
