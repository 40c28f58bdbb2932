"""Wall time of the 15-subset evaluation: the fast path (encode once per window, decode per subset) against
15 plain sliding-window evaluations, same model and cases, side by side in interleaved rounds.

Times cover loading and normalising the cases, sliding-window inference and scoring: the fast path loads each
case once, each of the 15 plain evaluations loads it again, as 15 separate evaluation runs do (their process
start-up, about 10 s each for `python -m monai.bundle run`, is not counted). The inference-only times are
printed too. Per window the fast path costs about 4 E + 15 D and the plain loop 32 E + 15 D (E one modality's
encoder, D fusion + decoder; 32 = the modalities summed over the 15 subsets), so the ratio depends on D / E.

    python benchmarks/eval_subsets.py --data_dir ../shared/data/brats18 --num_cases 2            # full-size BraTS
    python benchmarks/eval_subsets.py --data_dir demo_data --roi 48 --channels 8,16,32,64         # the CPU demo
    python benchmarks/eval_subsets.py --data_dir ../shared/data/brats18 --roi 128 --amp           # a GPU

Prints a Markdown table with the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from monai.transforms import LoadImage

from metakd_ext.data import BRATS_MODALITIES, find_brats_cases
from metakd_ext.inferers import SubsetSlidingWindowInferer
from metakd_ext.metrics import brats_region_scores
from metakd_ext.networks import MultiEncoderUNet
from metakd_ext.transforms import BratsLabelToRegions, LoadModalities, NormalizeModalityIntensity
from metakd_ext.utils import all_subsets, load_checkpoint, subset_mask


def load_cases(data_dir: str, num_cases: int) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    cases = find_brats_cases(data_dir)[:num_cases]
    load, norm, regions = LoadModalities(BRATS_MODALITIES), NormalizeModalityIntensity(), BratsLabelToRegions()
    out = []
    for c in cases:
        image, _ = load([f"{data_dir}/{c[m]}" if m in c else None for m in BRATS_MODALITIES], case=c["case"])
        label = LoadImage(image_only=True, ensure_channel_first=True)(f"{data_dir}/{c['label']}")
        out.append((c["case"], norm(image).as_tensor()[None], regions(label).as_tensor().bool()))
    return out


def _evaluate(data_dir, num_cases, net, inferer, subsets, device, amp) -> tuple[float, float]:
    """(total seconds, inference seconds) to load, predict and score every case under ``subsets``."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    inference = 0.0
    for _, image, label in load_cases(data_dir, num_cases):
        t0 = time.perf_counter()
        with torch.no_grad(), torch.autocast(device.type, enabled=amp):
            logits = inferer(image.to(device), net, subsets=subsets)
        if device.type == "cuda":
            torch.cuda.synchronize()
        inference += time.perf_counter() - t0
        for out in logits.values():
            brats_region_scores((out[0].float().sigmoid() > 0.5).cpu(), label)
    return time.perf_counter() - start, inference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default="../shared/data/brats18", help="a BraTS folder (or the demo data)")
    parser.add_argument("--num_cases", type=int, default=2)
    parser.add_argument("--roi", type=int, default=96)
    parser.add_argument("--overlap", type=float, default=0.5)
    parser.add_argument("--sw_batch_size", type=int, default=2)
    parser.add_argument("--channels", default="16,32,64,128,256")
    parser.add_argument("--decoder_channels", default=None, help="decoder widths; default the encoder widths")
    parser.add_argument("--ckpt", default=None, help="a bundle checkpoint; default an untrained network")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--amp", action="store_true")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    decoder = None if args.decoder_channels is None else tuple(int(c) for c in args.decoder_channels.split(","))
    net = MultiEncoderUNet(channels=tuple(int(c) for c in args.channels.split(",")), decoder_channels=decoder)
    net = net.to(device).eval()
    if args.ckpt:
        load_checkpoint(args.ckpt, map_location=device, model=net)
    subsets = {s: subset_mask(s, BRATS_MODALITIES) for s in all_subsets(BRATS_MODALITIES)}
    common = {"roi_size": args.roi, "sw_batch_size": args.sw_batch_size, "overlap": args.overlap}
    fast = SubsetSlidingWindowInferer(**common, fast=True)
    plain = SubsetSlidingWindowInferer(**common, fast=False)
    _evaluate(args.data_dir, 1, net, fast, {"flair": subsets["flair"]}, device, args.amp)  # warm-up
    times: dict[str, list[tuple[float, float]]] = {"fast path": [], "15 plain evaluations": []}
    for _ in range(args.rounds):
        times["fast path"].append(_evaluate(args.data_dir, args.num_cases, net, fast, subsets, device, args.amp))
        runs = [
            _evaluate(args.data_dir, args.num_cases, net, plain, {s: m}, device, args.amp) for s, m in subsets.items()
        ]
        times["15 plain evaluations"].append((sum(r[0] for r in runs), sum(r[1] for r in runs)))
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    shape = tuple(load_cases(args.data_dir, 1)[0][1].shape[2:])
    print(
        f"device {name}, {args.num_cases} cases of {shape}, 15 subsets, ROI {args.roi}^3, overlap {args.overlap}, "
        f"channels {args.channels}, decoder {args.decoder_channels or args.channels}, AMP {args.amp}, "
        f"{args.rounds} rounds (median)"
    )
    base = [statistics.median(t[i] for t in times["15 plain evaluations"]) for i in (0, 1)]
    print("| evaluation | seconds | x plain | inference seconds | x plain |")
    print("| --- | --- | --- | --- | --- |")
    for label, values in times.items():
        total, infer = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"| {label} | {total:.1f} | {total / base[0]:.2f} | {infer:.1f} | {infer / base[1]:.2f} |")


if __name__ == "__main__":
    main()
