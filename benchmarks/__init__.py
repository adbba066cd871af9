"""Benchmarks of chainmap.

Each ``bench_<name>.py`` module exposes ``run(quick: bool) -> list[dict]`` and can be run
alone (``python benchmarks/bench_gaps.py --quick``).  The driver runs them together and
records the results with the machine they ran on::

    python -m benchmarks all --quick        # the small sizes, a few minutes on 2 cores
    python -m benchmarks all --full         # the large sizes (tens of minutes)
    python -m benchmarks leads --full       # one benchmark, merged into results/full.json
    python -m benchmarks report             # rebuild BENCHMARKS.md + the plot from results/

See :mod:`benchmarks.__main__` for the options and :mod:`benchmarks.common` for the helpers
(machine information, medians, the targets of the issues and the report).
"""

BENCHMARKS = ("relatedness", "gaps", "leads", "storage", "api")
