"""Do two machines give the same answers? Two committed pipeline runs, one per machine, compared.

Where two revisions' ``dvc.lock`` files record the same code, params and data for a stage, that
stage ran the same computation at both, so any difference between their outputs comes from the
machines (their BLAS kernels and vector instructions round differently). This script takes two
such revisions, says which stages ran the same inputs, which of those stages' outputs are byte
for byte the same (dvc.lock's hashes), and, where the bytes differ, whether the answers agree:
each market's growth within Monte Carlo error and every gate's verdict
(``python -m musicmarkets.compare --metrics``, which reads only what git keeps: the model files
of a run on another machine are in no cache here). The machines are named by the caller, as the two runs' commits record them.

Usage: python benchmarks/bench_two_machines.py REV_A REV_B --machine-a NAME --machine-b NAME
Writes benchmarks/results/two_machines.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from musicmarkets import compare  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def subject(rev: str) -> str:
    out = subprocess.run(
        ["git", "show", "-s", "--format=%h %ad %s", "--date=short", rev],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def outputs(stages: dict, stage: str) -> dict[str, str]:
    entry = stages[stage]
    return {o["path"]: o.get("md5", "") for o in entry.get("outs", [])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev_a")
    ap.add_argument("rev_b")
    ap.add_argument("--machine-a", required=True)
    ap.add_argument("--machine-b", required=True)
    ap.add_argument("--out", default="two_machines.json")
    args = ap.parse_args()
    locks = {r: compare.lock_stages(r, REPO) for r in (args.rev_a, args.rev_b)}
    stages = sorted(locks[args.rev_a])
    a_lock, b_lock = locks[args.rev_a], locks[args.rev_b]
    same = [s for s in stages if compare.stage_inputs(a_lock, s) == compare.stage_inputs(b_lock, s)]
    records = []
    for s in same:
        a, b = outputs(a_lock, s), outputs(b_lock, s)
        identical = sorted(p for p in a if a[p] == b.get(p))
        differ = sorted(p for p in a if a[p] != b.get(p))
        # an executed notebook records its own run, so a stage run again changes some bytes;
        # a stage whose outputs are all the same may simply not have run at the later revision
        records.append(
            {
                "stage": s,
                "ran_at_both": bool(differ),
                "outputs_identical": len(identical),
                "outputs_differ": len(differ),
                "differ": differ,
            }
        )
    gated = tuple(g for g, stage in compare.GATED.items() if stage in same)
    result = compare.compare_metrics(args.rev_a, args.rev_b, REPO, names=gated)
    growth = result.growth.table.round(6).to_dict(orient="records")
    data = {
        "machine": describe(),
        "what": "two committed pipeline runs on two machines: stages that ran the same code, "
        "params and data at both (ran_at_both: some output changed, so it ran again), their outputs "
        "byte for byte, and for the fit and gates the answers (growth within Monte Carlo "
        "error, gate verdicts)",
        "runs": [
            {"rev": subject(args.rev_a), "machine": args.machine_a},
            {"rev": subject(args.rev_b), "machine": args.machine_b},
        ],
        "stages_same_inputs": len(same),
        "stages_ran_at_both": sum(r["ran_at_both"] for r in records),
        "stages_other_inputs": len(stages) - len(same),
        "growth_agree": result.growth.agree,
        "growth_max_abs_z_mcse": float(result.growth.table["z_mcse"].abs().max()),
        "gate_verdicts_same": all(a == b for a, b in result.verdicts.values()),
        "gates": [
            {"gate": g, "passed_a": a, "passed_b": b} for g, (a, b) in result.verdicts.items()
        ],
        "verdict": "AGREE" if result.agree else "DIFFER",
        "stages": records,
        "growth": growth,
    }
    print(result.text())
    out = REPO / "benchmarks" / "results" / args.out
    out.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
