"""Seconds per training iteration and peak memory: MetaKD vs the same network without KD / meta steps vs SegResNet.

Variants: ``metakd_full`` (MetaKD in its warm-up: every modality present, KD and first-order meta steps),
``metakd_decollate`` (the same with the trainer's output decollated every iteration, MONAI's default, which the
bundles keep for MONAI's MLflow handler),
``metakd_unrolled`` (the same with the unrolled, bi-level meta step), ``metakd_drop``
(MetaKD with random missing modalities per sample: the encoders of dropped modalities do not run), ``plain``
(the same multi-encoder network, all modalities, no KD, no meta steps) and ``segresnet`` (MONAI's SegResNet on
the 4-channel input, ``init_filters`` the first U-Net width). Peak memory is the GPU's peak allocation, or on a
CPU the peak resident size of the process (imports included).

Each variant runs in a fresh subprocess (so its peak memory is its own), in interleaved rounds (A B C A B C ...)
so that a noisy machine affects all alike; the median over rounds is reported, with ratios to the plain network.
MetaKD's meta steps are amortised: the iterations timed include them at their configured interval.

    python benchmarks/train_step.py --roi 64 --batch 2            # CPU here
    python benchmarks/train_step.py --roi 128 --batch 2 --amp     # a GPU, with AMP
    python benchmarks/train_step.py --variants metakd_full,metakd_decollate --rounds 3   # the cost of decollating

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

VARIANTS = ("metakd_full", "metakd_decollate", "metakd_unrolled", "metakd_drop", "plain", "segresnet")
BUNDLE_TRAIN = Path(__file__).resolve().parents[1] / "bundles" / "metakd_brats" / "configs" / "train.json"


def _batches(n: int, batch: int, roi: int, device: torch.device) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        image = torch.randn(batch, 4, roi, roi, roi, generator=g)
        label = (torch.rand(batch, 3, roi, roi, roi, generator=g) > 0.9).float()
        out.append({"image": image.to(device), "label": label.to(device), "modality_mask": torch.ones(batch, 4).bool()})
    return out


def run_variant(args: argparse.Namespace) -> dict:
    """Times one variant in this process; returns seconds per iteration and peak memory in MiB."""
    from monai.bundle import ConfigParser
    from monai.engines import SupervisedTrainer
    from monai.networks.nets import SegResNet

    from metakd_ext.engines import MetaKDTrainer
    from metakd_ext.networks import ModalityWeightLearner, MultiEncoderUNet
    from metakd_ext.transforms import RandDropModality

    torch.manual_seed(0)
    device = torch.device(args.device)
    channels = tuple(int(c) for c in args.channels.split(","))
    total = args.warmup + args.iters
    data = _batches(total, args.batch, args.roi, device)
    if args.variant == "segresnet":
        net = SegResNet(spatial_dims=3, in_channels=4, out_channels=3, init_filters=channels[0]).to(device)
    else:
        net = MultiEncoderUNet(channels=channels).to(device)
    parser = ConfigParser()
    parser.read_config(str(BUNDLE_TRAIN))
    loss = parser.get_parsed_content("loss")  # the bundle's task loss: Dice + BCE per region channel
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.99, nesterov=True)
    common = {
        "device": device,
        "max_epochs": 1,
        "train_data_loader": data,
        "network": net,
        "optimizer": optimizer,
        "loss_function": loss,
        "amp": args.amp,
        "decollate": args.variant == "metakd_decollate",
    }
    if args.variant.startswith("metakd"):
        learner = ModalityWeightLearner(4).to(device)
        trainer = MetaKDTrainer(
            **common,
            weight_learner=learner,
            meta_data_loader=_batches(2, args.batch, args.roi, device),
            meta_interval=args.meta_interval,
            meta_steps=args.meta_steps,
            missing_warmup_iters=total if args.variant != "metakd_drop" else 0,
            meta_mode="unrolled" if args.variant == "metakd_unrolled" else "first_order",
            modality_dropout=RandDropModality().set_random_state(0),
        )
    else:
        trainer = SupervisedTrainer(**common)
    stamps: list[float] = []

    def _stamp(_: object) -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    from ignite.engine import Events

    trainer.add_event_handler(Events.ITERATION_COMPLETED, _stamp)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trainer.run()
    timed = stamps[args.warmup - 1 :] if args.warmup > 0 else stamps
    seconds = (timed[-1] - timed[0]) / (len(timed) - 1)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": args.variant, "seconds_per_iter": seconds, "peak_mib": peak}


def time_variants(argv: list[str], variants: tuple[str, ...], rounds: int) -> dict[str, dict[str, float]]:
    """Times ``variants`` with this script's arguments ``argv``, each in its own process, in interleaved rounds.

    Returns:
        ``{variant: {"seconds_per_iter": median, "peak_mib": median}}``.

    Raises:
        SystemExit: a variant's process failed (its error output included).
    """
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(rounds):
        for variant in variants:
            out = subprocess.run(
                [sys.executable, __file__, *argv, "--variant", variant], capture_output=True, text=True
            )
            if out.returncode != 0:
                raise SystemExit(f"variant {variant} failed:\n{out.stderr[-3000:]}")
            results[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        v: {k: statistics.median(r[k] for r in runs) for k in ("seconds_per_iter", "peak_mib")}
        for v, runs in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roi", type=int, default=64, help="cubic crop size")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--channels", default="16,32,64,128,256", help="U-Net widths; SegResNet starts at the first")
    parser.add_argument(
        "--iters", type=int, default=20, help="timed iterations per round (a multiple of meta_interval)"
    )
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--meta_interval", type=int, default=10)
    parser.add_argument("--meta_steps", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--amp", action="store_true", help="automatic mixed precision (GPU)")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="comma-separated; ratios are to plain where listed, else to the first",
    )
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return
    variants = tuple(v for v in args.variants.split(",") if v)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    base_variant = "plain" if "plain" in variants else variants[0]
    results = time_variants(sys.argv[1:], variants, args.rounds)
    device = (
        torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU ({torch.get_num_threads()} threads)"
    )
    print(
        f"device {device}, ROI {args.roi}^3, batch {args.batch}, AMP {args.amp}, channels {args.channels}, "
        f"meta step of {args.meta_steps} every {args.meta_interval} iterations, {args.rounds} rounds"
    )
    base, base_mem = results[base_variant]["seconds_per_iter"], results[base_variant]["peak_mib"]
    print(f"| variant | s / iteration | x {base_variant} | peak memory (MiB) | x {base_variant} |")
    print("| --- | --- | --- | --- | --- |")
    for variant, r in results.items():
        sec, mem = r["seconds_per_iter"], r["peak_mib"]
        print(f"| {variant} | {sec:.3f} | {sec / base:.2f} | {mem:.0f} | {mem / base_mem:.2f} |")


if __name__ == "__main__":
    main()
