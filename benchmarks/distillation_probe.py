"""What distillation did to each scale of the BraTS models of a method comparison, on their held-out cases, and
whether the learned modality weights carry information.

Per run of ``python -m metakd_ext compare`` (``<compare_dir>/<method>/[fold<k>/]seed<s>/models/model.pt``; with
folds, the fold's datalist ``<compare_dir>/folds/fold<k>.json``), on each held-out case with all four modalities,
for every scale of the network (0 the finest, the last the bottleneck):

- the KD term with every pair's ratio 1 (``PairwiseModalityKDLoss``: over the 12 teacher -> student pairs, the
  mean L1 distance of their features, summed), on the plain features and on the standardised ones
  (``kd_normalize``): how far apart the modalities' features are on cases the model never saw, by size and by
  content;
- the features' mean absolute value and the share of them below zero (where the encoders' LeakyReLU passes 1% of
  its input): whether the features agree because they carry the same thing or because they are near zero;
- Dice ET / TC / WT with that scale's fused features replaced by zeros, beside Dice as the model predicts: how much
  of the prediction passes through the scale (the decoder reads the bottleneck's fused features and those of the
  ``skip_scales``, every scale by default; a scale without a skip is "not read").

Each case is predicted in one pass over its whole volume at the training resolution (the bundle's preprocessing,
e.g. ``spacing``, padded to the network's multiple) and scored there, not on its original grid; the figures
compare predictions of one model, not the bundle's tables.

Then, per MetaKD run, the modality weights its training first logged (the seed's random start: they are logged
before the first meta step moves them) and its final ones (saved beside its evaluation), and per method the rank
agreement (Kendall's tau) of the final weights: of the runs of different seeds on the same fold (weights that
carry information agree from different random starts), of the folds of one seed (the same start, other
training cases), and of each run's final weights with its own start (1: the ranking never left its start).

Prints three Markdown tables::

    python benchmarks/distillation_probe.py --compare_dir compare_real --dataset_dir ../shared/data/brats18 \
        --methods metakd,nokd --seeds 0,1 --configs demo.json \
        --overrides "{'spacing': [2, 2, 2], 'roi_size': [32, 32, 32]}"
"""

from __future__ import annotations

import argparse
import ast
import itertools
from pathlib import Path

import numpy as np
import torch
from monai.bundle import ConfigParser
from monai.transforms import DivisiblePad
from monai.utils import convert_to_tensor
from scipy.stats import kendalltau

from metakd_ext.handlers import WEIGHT_TAG
from metakd_ext.losses import PairwiseModalityKDLoss
from metakd_ext.metrics.brats_regions import BRATS_REGIONS, dice_score
from metakd_ext.utils import load_checkpoint
from metakd_ext.visualize.subset_report import read_weights
from metakd_ext.visualize.training_logs import first_logged

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "metakd_brats"
FEATURE_COLUMNS = ["kd_plain", "kd_standardised", "feature_abs"]


def _runs(compare_dir: Path, method: str, seed: int) -> list[tuple[str, Path, Path | None]]:
    """(fold name, run folder, its fold datalist or None) of one method and seed."""
    folds = sorted((compare_dir / method).glob("fold*"), key=lambda p: int(p.name[4:]))
    if not folds:
        return [("", compare_dir / method / f"seed{seed}", None)]
    return [(fold.name, fold / f"seed{seed}", compare_dir / "folds" / f"{fold.name}.json") for fold in folds]


def _parser(
    bundle: Path, method: str, configs: list[str], dataset_dir: Path, datalist: Path | None, overrides: dict
) -> ConfigParser:
    names = ["train.json", *configs, f"{method}.json", "evaluate.json"]
    parser = ConfigParser()
    parser.read_config([str(bundle / "configs" / n) for n in names])
    parser.update({"bundle_root": str(bundle), "dataset_dir": str(dataset_dir), **overrides})
    if datalist is not None:
        parser.update({"datalist": str(datalist)})
    return parser


def _dice(
    net: torch.nn.Module, features: list[torch.Tensor], mask: torch.Tensor, label: torch.Tensor, prefix: str
) -> dict[str, float]:
    """Dice per region of the network's decoding of ``features``, keys ``<prefix>dice_<region>``."""
    pred = torch.sigmoid(net.decode(features, mask))[0] > 0.5
    return {f"{prefix}dice_{r.lower()}": dice_score(pred[c], label[c]) for c, r in enumerate(BRATS_REGIONS)}


@torch.no_grad()
def probe_run(parser: ConfigParser, checkpoint: Path) -> list[dict[str, float]]:
    """Per held-out case and scale: the KD terms (ratios 1, plain and standardised features), the features' size
    and sign, Dice as predicted and with the scale's fused features zeroed (keys ``scale``, ``case``, ...)."""
    net = parser.get_parsed_content("network").cpu().eval()
    load_checkpoint(checkpoint, model=net)
    dataset = parser.get_parsed_content("evaluate#dataset")
    pad = DivisiblePad(k=net.size_divisible)
    plain, standardised = PairwiseModalityKDLoss(), PairwiseModalityKDLoss(normalize=True)
    rows = []
    for i in range(len(dataset)):
        item = dataset[i]
        image = convert_to_tensor(pad(item["image"]), track_meta=False)[None].float()  # (1, 4, *spatial)
        label = convert_to_tensor(pad(item["label"]), track_meta=False).bool()  # (3, *spatial): TC, WT, ET
        features, mask = net.encode(image, torch.ones(1, image.shape[1], dtype=torch.bool))
        ones = torch.ones(mask.shape[1], mask.shape[1])
        intact = _dice(net, features, mask, label, "")
        for s, scale in enumerate(features):  # (1, 4, C_s, *spatial_s)
            if s in net.read_scales:
                hook = net.fusions[str(s)].register_forward_hook(lambda _m, _i, out: torch.zeros_like(out))
                zeroed = _dice(net, features, mask, label, "zeroed_")
                hook.remove()
            else:  # no skip at this scale (`skip_scales`): nothing of it reaches the decoder but the coarser scales
                zeroed = {f"zeroed_dice_{r.lower()}": float("nan") for r in BRATS_REGIONS}
            rows.append(
                {
                    "case": float(i),
                    "scale": float(s),
                    "kd_plain": float(plain(scale, mask, ones)),
                    "kd_standardised": float(standardised(scale, mask, ones)),
                    "feature_abs": float(scale.abs().mean()),
                    "feature_negative": float((scale < 0).float().mean()),
                    **intact,
                    **zeroed,
                }
            )
    return rows


def _ranking_agreement(a: dict[str, float], b: dict[str, float]) -> float:
    """Kendall's tau of two weight dictionaries over the same modality names."""
    names = sorted(a)
    return float(kendalltau([a[n] for n in names], [b[n] for n in names]).statistic)


def _fmt(values: dict[str, float] | None) -> str:
    return "—" if values is None else " ".join(f"{n} {v:.3f}" for n, v in values.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare_dir", required=True, help="the --output_dir of `python -m metakd_ext compare`")
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--bundle_root", default=str(BUNDLE), help="the compare command's --bundle_root")
    parser.add_argument("--methods", default="metakd,nokd", help="comma-separated method configs")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--configs", default="demo.json", help="comma-separated configs after train.json")
    parser.add_argument("--overrides", default="{}", help="the compare command's --overrides (without datalist)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    compare_dir, dataset_dir, bundle = Path(args.compare_dir), Path(args.dataset_dir), Path(args.bundle_root)
    overrides = ast.literal_eval(args.overrides)
    configs = [c for c in args.configs.split(",") if c]
    regions = " / ".join(BRATS_REGIONS)
    scale_table = [
        f"| method | scale | runs | cases | KD term | KD term, standardised | mean abs. feature | feature values < 0 "
        f"| Dice {regions} | this scale zeroed: Dice {regions} |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    weight_table = [
        "| method | run | first logged weights | final weights | largest change |",
        "| --- | --- | --- | --- | --- |",
    ]
    rank_table = [
        "| method | runs | tau between seeds, same fold (pairs) | tau between folds, same seed (pairs) "
        "| tau of final with first logged (runs) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for method in args.methods.split(","):
        rows: list[dict[str, float]] = []
        finals: dict[str, dict[int, dict[str, float]]] = {}
        to_start: list[float] = []
        runs = [(int(s), *r) for s in args.seeds.split(",") for r in _runs(compare_dir, method, int(s))]
        for seed, fold, run, datalist in runs:
            checkpoint = run / "models" / "model.pt"
            if not checkpoint.is_file():
                raise FileNotFoundError(
                    f"{checkpoint} not found; run the comparison first (python -m metakd_ext compare)."
                )
            rows += probe_run(_parser(bundle, method, configs, dataset_dir, datalist, overrides), checkpoint)
            final = read_weights(run / "eval")
            if final is None:
                continue
            logged = first_logged(run / "runs", WEIGHT_TAG, list(final))
            start = None if logged is None else logged[1]
            change = "—" if start is None else f"{max(abs(final[n] - start[n]) for n in final):.3f}"
            weight_table.append(f"| {method} | seed {seed} {fold} | {_fmt(start)} | {_fmt(final)} | {change} |")
            finals.setdefault(fold, {})[seed] = final
            if start is not None:
                to_start.append(_ranking_agreement(final, start))
        scales = sorted({int(r["scale"]) for r in rows})
        for s in scales:
            at = [r for r in rows if int(r["scale"]) == s]
            mean = {k: float(np.mean([r[k] for r in at])) for k in at[0]}
            dice = " / ".join(f"{100 * mean[f'dice_{r.lower()}']:.1f}" for r in BRATS_REGIONS)
            zeroed = " / ".join(f"{100 * mean[f'zeroed_dice_{r.lower()}']:.1f}" for r in BRATS_REGIONS)
            if np.isnan(mean["zeroed_dice_tc"]):
                zeroed = "no skip: not read"
            feats = " | ".join(f"{mean[c]:.4g}" for c in FEATURE_COLUMNS)
            feats += f" | {100 * mean['feature_negative']:.1f}%"
            name = f"{s} (bottleneck)" if s == scales[-1] else str(s)
            scale_table.append(f"| {method} | {name} | {len(runs)} | {len(at)} | {feats} | {dice} | {zeroed} |")
        between = [
            _ranking_agreement(a, b)
            for by_seed in finals.values()
            for a, b in itertools.combinations(by_seed.values(), 2)
        ]
        by_seed: dict[int, list[dict[str, float]]] = {}
        for folds in finals.values():
            for seed, final in folds.items():
                by_seed.setdefault(seed, []).append(final)
        across = [_ranking_agreement(a, b) for f in by_seed.values() for a, b in itertools.combinations(f, 2)]
        if finals:
            cells = [
                f"{np.mean(v):.2f} ({len(v)})" if v else none
                for v, none in ((between, "— (one seed)"), (across, "— (one fold)"), (to_start, "—"))
            ]
            rank_table.append(f"| {method} | {sum(len(v) for v in finals.values())} | " + " | ".join(cells) + " |")
    print("\n".join(scale_table), "", "\n".join(weight_table), "", "\n".join(rank_table), sep="\n", flush=True)


if __name__ == "__main__":
    main()
