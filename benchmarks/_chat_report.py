"""What ``chat_turns.py`` prints: every case, the runs' timelines, the ratios and walls
against the issue's targets (returned for the results file)."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks._common import print_table

CHASSIS, SDK = "chassis SessionStore", "SDK SQLAlchemySession"
FLOOR = "no database (floor)"


def report(
    results: list[dict[str, Any]],
    backends: list[str],
    delays: str,
    timeline: bool,
    served: str | None,
) -> dict[str, Any]:
    rows = [
        [
            r["backend"],
            f"{r['model_delay_s']:g} s",
            r["memory"],
            r["round"],
            f"{sum(b['ok'] for b in r['batches'])}/{sum(b['ok'] + b['failed'] for b in r['batches'])}",
            r["wall_s"],
            r["server_cpu_ms_per_turn"],
            "" if r["collector"] is None else r["collector_ms_per_turn"],
            "" if r["collector"] is None else r["collector"]["longest_s"] * 1000,
        ]
        for r in results
    ]
    print()
    print_table(
        [
            "backend",
            "model",
            "memory",
            "round",
            "ok",
            "batch wall s (max)",
            "server CPU ms/turn",
            "GC ms/turn",
            "longest GC pass ms",
        ],
        rows,
    )
    if timeline:
        print()
        print_table(
            [
                "backend",
                "memory",
                "round",
                "turn",
                "first model start s",
                "last model start s",
                "last model end s",
            ],
            [
                [
                    r["backend"],
                    r["memory"],
                    r["round"],
                    b["turn"],
                    b["timeline"]["first_model_start_s"],
                    b["timeline"]["last_model_start_s"],
                    b["timeline"]["last_model_end_s"],
                ]
                for r in results
                for b in r["batches"]
                if "timeline" in b
            ],
        )
    ratios = {}
    for backend in backends:
        for delay in (float(d) for d in delays.split(",")):
            cases = [r for r in results if r["backend"] == backend and r["model_delay_s"] == delay]
            chassis = [r for r in cases if r["memory"] == CHASSIS]
            sdk = [r for r in cases if r["memory"] == SDK]
            per_round = [
                c["server_cpu_ms_per_turn"] / b["server_cpu_ms_per_turn"]
                for c, b in zip(chassis, sdk, strict=True)
            ]
            key = f"{backend}, model {delay:g} s"
            ratios[key] = {
                "cpu_chassis_over_sdk_per_round": per_round,
                "cpu_chassis_over_sdk": statistics.median(per_round),
                "chassis_all_ok": all(c["all_ok"] for c in chassis),
                "chassis_wall_s_per_round": [c["wall_s"] for c in chassis],
                "chassis_wall_s": statistics.median(c["wall_s"] for c in chassis),
            }
            found = ratios[key]
            print(
                f"{key}: chassis CPU/turn = {found['cpu_chassis_over_sdk']:.3f} of the SDK "
                f"baseline, median of {len(per_round)} rounds "
                f"({', '.join(f'{r:.3f}' for r in per_round)}; target <= 0.25); "
                f"all ok: {found['chassis_all_ok']}; batch {found['chassis_wall_s']:.2f} s"
                + (" (target <= 1.5 s)" if delay == 1 else "")
            )
            for label, name in ((FLOOR, "floor"), (served, "served")):
                extra = [r for r in cases if r["memory"] == label]
                if extra:
                    cpu = statistics.median(r["server_cpu_ms_per_turn"] for r in extra)
                    wall = statistics.median(r["wall_s"] for r in extra)
                    all_ok = all(r["all_ok"] for r in extra)
                    found |= {f"{name}_cpu_ms_per_turn": cpu, f"{name}_wall_s": wall}
                    found[f"{name}_all_ok"] = all_ok
                    print(
                        f"{key}: {label}: {cpu:.2f} ms of CPU per turn, batch {wall:.2f} s "
                        f"(medians), all ok: {all_ok}"
                    )
    return ratios
