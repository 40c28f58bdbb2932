"""The AV-MNIST table of the paper's setting: accuracy with the audio missing at audio rates of 5, 10, 15 and 20 %,
MetaKD beside the baselines, mean ± std over draws.

For each rate and draw ``d``: a datalist by the SMIL protocol with ``seed=d`` (which training pairs keep their
recording, the pairing of images and recordings), then ``compare_methods`` trains every method through the bundle
runner with ``random_seed=d`` and scores it on the 450 held-out test pairs with the image alone (audio missing: the
paper's figure), the audio alone and both. The runs go to ``OUTPUT_DIR/rate<r>/draw<d>/<method>/seed<d>/`` and are
kept, so an interrupted table continues where it stopped.

    python benchmarks/avmnist_audio_rates.py --fsdd_dir ../shared/data/avmnist/fsdd \
        --mnist_dir ../shared/data/avmnist/mnist --output_dir avmnist_rates

Prints Markdown tables (one per condition: rows the rates, columns the methods) and writes them, with a CSV of
every run's accuracies, to ``OUTPUT_DIR/audio_rates.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import ast
import csv
import statistics
import time
from pathlib import Path

from metakd_ext.comparison import compare_methods, summary_tables
from metakd_ext.data import write_avmnist_datalist

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "metakd_avmnist"
CONDITIONS = {"image": "audio missing (image alone)", "audio": "image missing (audio alone)", "image+audio": "both"}


def _cell(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    return f"{mean:.2f} ± {100 * statistics.stdev(values):.2f}" if len(values) > 1 else f"{mean:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fsdd_dir", required=True, help="the FSDD repository or its recordings folder")
    parser.add_argument("--mnist_dir", required=True, help="folder of the MNIST idx files")
    parser.add_argument("--output_dir", required=True, help="where the datalists, runs and tables go")
    parser.add_argument("--rates", default="[0.05,0.1,0.15,0.2]", help="audio rates, a Python list")
    parser.add_argument("--draws", default="[0,1]", help="seeds of the draws, a Python list")
    parser.add_argument("--methods", default="['metakd','nokd','lckd']", help="method configs of the bundle")
    parser.add_argument("--bundle_root", default=str(BUNDLE), help="the AV-MNIST bundle (another copy of it)")
    parser.add_argument("--overrides", default="{}", help="top-level bundle keys for every run, a Python dict")
    args = parser.parse_args()
    rates, draws, methods = (ast.literal_eval(a) for a in (args.rates, args.draws, args.methods))
    out = Path(args.output_dir).resolve()
    start = time.perf_counter()
    accuracy: dict[tuple[float, str, str], list[float]] = {}
    rows = []
    for rate in rates:
        for draw in draws:
            datalist = out / "data" / f"rate{rate:g}_draw{draw}.json"
            if not datalist.is_file():
                write_avmnist_datalist(args.fsdd_dir, args.mnist_dir, str(datalist), audio_rate=rate, seed=draw)
            run_dir = out / f"rate{rate:g}" / f"draw{draw}"
            overrides = {**ast.literal_eval(args.overrides), "datalist": str(datalist)}
            compare_methods(args.bundle_root, str(out / "data"), str(run_dir), methods, [draw], overrides=overrides)
            for method in methods:
                table = {
                    r["subset"]: r["value"]
                    for r in summary_tables(run_dir / method / f"seed{draw}" / "eval")["accuracy"]
                }
                rows.append({"rate": rate, "draw": draw, "method": method, **{c: table[c] for c in CONDITIONS}})
                for condition in CONDITIONS:
                    accuracy.setdefault((rate, method, condition), []).append(table[condition])
    minutes = (time.perf_counter() - start) / 60
    lines = [
        f"AV-MNIST accuracy (%) on the 450 held-out test pairs, mean ± std over draws {draws} "
        f"({len(rates) * len(draws) * len(methods)} runs, {minutes:.1f} min)."
    ]
    for condition, title in CONDITIONS.items():
        lines += ["", f"### {title}", "", "| audio rate | " + " | ".join(methods) + " |"]
        lines.append("| --- |" + " --- |" * len(methods))
        for rate in rates:
            cells = [_cell(accuracy[(rate, m, condition)]) for m in methods]
            lines.append(f"| {100 * rate:g} % | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (out / "audio_rates.md").write_text(text)
    with (out / "audio_rates.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(text, end="")


if __name__ == "__main__":
    main()
