"""Benchmark "ops overhead": what the operations features cost a chat turn when off.

    uv run python -m benchmarks.ops_overhead --baseline /path/to/an/older/checkout

Renders this checkout and ``--baseline`` (a checkout from before logs, traces, metrics
and graceful shutdown existed) with default answers, then serves each in turn with the
chassis store (tracing and metrics off: no OTLP endpoint, no metrics setting) and drives
the chat_turns workload, alternating the two for ``--rounds`` rounds so machine noise
hits both alike. Reports the median server CPU per turn of each and their ratio.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from benchmarks._common import benchmark_parser, prepare_project, print_table, write_results
from benchmarks.chat_turns import run_case


def main() -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], backends="sqlite,postgresql")
    parser.add_argument("--baseline", type=Path, required=True, help="the 'before' checkout")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=128)
    args = parser.parse_args()

    projects = {
        "after": prepare_project(args.project.with_name("bench-ops-after"), args.reuse),
        "before": prepare_project(
            args.project.with_name("bench-ops-before"), args.reuse, template=args.baseline
        ),
    }
    results: dict[str, dict[str, list[float]]] = {}
    for backend in args.backends.split(","):
        samples: dict[str, list[float]] = {"before": [], "after": []}
        for round_number in range(args.rounds):
            # Alternate which goes first, so neither always meets a warmer machine.
            order = ["before", "after"] if round_number % 2 == 0 else ["after", "before"]
            for label in order:
                print(f"== {backend}, round {round_number + 1}, {label} ...", flush=True)
                case = run_case(
                    projects[label],
                    backend,
                    args.postgres_url,
                    "store",
                    0.0,
                    args.requests,
                    limits=False,
                )
                if not case["all_ok"]:
                    raise SystemExit(f"{backend} {label}: requests failed: {case['batches']}")
                samples[label].append(case["server_cpu_ms_per_turn"])
        results[backend] = samples

    rows: list[list[Any]] = []
    summary: dict[str, dict[str, float]] = {}
    for backend, samples in results.items():
        before, after = (statistics.median(samples[k]) for k in ("before", "after"))
        summary[backend] = {
            "before_ms": before,
            "after_ms": after,
            "after_over_before": after / before,
        }
        rows.append([backend, before, after, after / before])
    print()
    print_table(["backend", "before CPU ms/turn", "after CPU ms/turn", "after / before"], rows)
    write_results(
        "ops_overhead",
        {
            "workload": f"{args.requests} concurrent POST /chat (echo model, instant), "
            "chassis store, metering on, limits off, tracing and metrics off",
            "baseline": str(args.baseline),
            "rounds": args.rounds,
            "samples_ms_per_turn": results,
            "summary": summary,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
