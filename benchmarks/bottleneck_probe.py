"""What distillation did to the bottleneck of the BraTS models of a method comparison, on their held-out cases.

Per run of ``python -m metakd_ext compare`` (``<compare_dir>/<method>/[fold<k>/]seed<s>/models/model.pt``; with
folds, the fold's datalist ``<compare_dir>/folds/fold<k>.json``), on each held-out case with all four modalities:

- the KD term of the training loss at the bottleneck with every pair's ratio 1 (``PairwiseModalityKDLoss``: over
  the 12 teacher -> student pairs, the mean L1 distance of their bottleneck features, summed): how far apart the
  modalities' features are on cases the model never saw;
- the bottleneck features' mean absolute value and the share of them below zero (where the encoders' LeakyReLU
  passes 1% of its input): whether the features agree because they carry the same thing or because they are
  near zero;
- Dice ET / TC / WT as the model predicts, and with the fused bottleneck features replaced by zeros: how much of
  the prediction passes through the bottleneck, which is all that distillation touches (the skip connections
  carry each scale's fused features past it).

Each case is predicted in one pass over its whole volume at the training resolution (the bundle's preprocessing,
e.g. ``spacing``, padded to the network's multiple) and scored there, not on its original grid; the figures
compare the two predictions of one model, not the bundle's tables. Prints a Markdown table, the mean over runs
and cases per method::

    python benchmarks/bottleneck_probe.py --compare_dir compare_real --dataset_dir ../shared/data/brats18 \
        --methods metakd,nokd --seeds 0,1 --configs demo.json \
        --overrides "{'spacing': [2, 2, 2], 'roi_size': [32, 32, 32]}"
"""

from __future__ import annotations

import argparse
import ast
import math
from pathlib import Path

import numpy as np
import torch
from monai.bundle import ConfigParser
from monai.transforms import DivisiblePad
from monai.utils import convert_to_tensor

from metakd_ext.losses import PairwiseModalityKDLoss
from metakd_ext.metrics.brats_regions import BRATS_REGIONS, dice_score
from metakd_ext.utils import load_checkpoint

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "metakd_brats"


def _runs(compare_dir: Path, method: str, seed: int) -> list[tuple[Path, Path | None]]:
    """(run folder, its fold datalist or None) of one method and seed."""
    folds = sorted((compare_dir / method).glob("fold*"), key=lambda p: int(p.name[4:]))
    if not folds:
        return [(compare_dir / method / f"seed{seed}", None)]
    return [(fold / f"seed{seed}", compare_dir / "folds" / f"{fold.name}.json") for fold in folds]


def _parser(method: str, configs: list[str], dataset_dir: Path, datalist: Path | None, overrides: dict) -> ConfigParser:
    names = ["train.json", *configs, f"{method}.json", "evaluate.json"]
    parser = ConfigParser()
    parser.read_config([str(BUNDLE / "configs" / n) for n in names])
    parser.update({"bundle_root": str(BUNDLE), "dataset_dir": str(dataset_dir), **overrides})
    if datalist is not None:
        parser.update({"datalist": str(datalist)})
    return parser


@torch.no_grad()
def probe_run(parser: ConfigParser, checkpoint: Path) -> list[dict[str, float]]:
    """Per held-out case: the bottleneck KD term (ratios 1), Dice per region as predicted and with the bottleneck
    zeroed."""
    net = parser.get_parsed_content("network").cpu().eval()
    load_checkpoint(checkpoint, model=net)
    dataset = parser.get_parsed_content("evaluate#dataset")
    pad = DivisiblePad(k=net.size_divisible)
    kd = PairwiseModalityKDLoss()
    rows = []
    for i in range(len(dataset)):
        item = dataset[i]
        image = convert_to_tensor(pad(item["image"]), track_meta=False)[None].float()  # (1, 4, *spatial)
        label = convert_to_tensor(pad(item["label"]), track_meta=False).bool()  # (3, *spatial): TC, WT, ET
        mask = torch.ones(1, image.shape[1], dtype=torch.bool)
        features, mask = net.encode(image, mask)
        bottleneck = features[-1]  # (1, 4, C, *spatial / size_divisible)
        row = {
            "kd_term": float(kd(bottleneck, mask, torch.ones(mask.shape[1], mask.shape[1]))),
            "feature_abs": float(bottleneck.abs().mean()),
            "feature_negative": float((bottleneck < 0).float().mean()),
        }
        for name, zeroed in (("", False), ("zeroed_", True)):
            hook = net.fusions[-1].register_forward_hook(lambda _m, _i, out: torch.zeros_like(out)) if zeroed else None
            pred = torch.sigmoid(net.decode(features, mask))[0] > 0.5
            if hook is not None:
                hook.remove()
            for c, region in enumerate(BRATS_REGIONS):
                row[f"{name}dice_{region.lower()}"] = dice_score(pred[c], label[c])
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare_dir", required=True, help="the --output_dir of `python -m metakd_ext compare`")
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--methods", default="metakd,nokd", help="comma-separated method configs")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--configs", default="demo.json", help="comma-separated configs after train.json")
    parser.add_argument("--overrides", default="{}", help="the compare command's --overrides (without datalist)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    compare_dir, dataset_dir = Path(args.compare_dir), Path(args.dataset_dir)
    overrides = ast.literal_eval(args.overrides)
    configs = [c for c in args.configs.split(",") if c]
    columns = ["kd_term", "feature_abs", "feature_negative"]
    columns += [f"{z}dice_{r.lower()}" for z in ("", "zeroed_") for r in BRATS_REGIONS]
    print(
        "| method | runs | cases | KD term | mean abs. feature | feature values < 0 | Dice TC / WT / ET "
        "| bottleneck zeroed: Dice TC / WT / ET |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for method in args.methods.split(","):
        rows: list[dict[str, float]] = []
        runs = [r for s in args.seeds.split(",") for r in _runs(compare_dir, method, int(s))]
        for run, datalist in runs:
            checkpoint = run / "models" / "model.pt"
            if not checkpoint.is_file():
                raise FileNotFoundError(
                    f"{checkpoint} not found; run the comparison first (python -m metakd_ext compare)."
                )
            rows += probe_run(_parser(method, configs, dataset_dir, datalist, overrides), checkpoint)
        mean = {c: float(np.mean([r[c] for r in rows])) if rows else math.nan for c in columns}
        intact = " / ".join(f"{100 * mean[f'dice_{r.lower()}']:.1f}" for r in BRATS_REGIONS)
        zeroed = " / ".join(f"{100 * mean[f'zeroed_dice_{r.lower()}']:.1f}" for r in BRATS_REGIONS)
        features = f"{mean['kd_term']:.4g} | {mean['feature_abs']:.4g} | {100 * mean['feature_negative']:.1f}%"
        print(f"| {method} | {len(runs)} | {len(rows)} | {features} | {intact} | {zeroed} |", flush=True)


if __name__ == "__main__":
    main()
