"""Benchmarks of chainmap.

Each ``bench_<name>.py`` module exposes ``run(quick: bool) -> list[dict]`` and can be run
alone (``python benchmarks/bench_gaps.py --quick``).  The driver runs them together and
records the results with the machine they ran on::

    python -m benchmarks all --quick        # the small sizes, a few minutes on 2 cores
    python -m benchmarks all --full         # the large sizes (tens of minutes)
    python -m benchmarks leads --full       # one benchmark, merged into results/full.json
    python -m benchmarks report             # rebuild BENCHMARKS.md + the plot from results/

See :mod:`benchmarks.__main__` for the options.  The driver's helpers, one module per concern:
``_paths`` (repository, results/, BENCHMARKS.md), ``_machine`` (what the numbers were measured on),
``_timing`` (medians of calls and of repeated runs), ``_neo4j`` (a private throw-away server),
``_runner`` (how each benchmark is called in its child process), ``_results`` (the JSON files),
``_targets`` (the targets of the issues, pass/miss), ``_fmt`` + ``_markdown`` (results/<mode>.md),
``_scaling`` (fits, extrapolation, the plot) and ``_report`` (the generated part of BENCHMARKS.md).
"""

BENCHMARKS = ("relatedness", "gaps", "leads", "storage", "api", "startup", "census")
