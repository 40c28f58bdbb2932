"""Everything a GPU user of the BraTS bundle cares about, measured in one run and printed as one table.

Sections (``--sections``; all by default), on the real sample cases of ``--data_dir`` at full size:

- ``train``: seconds per iteration and peak GPU memory at ROI 128^3, batch 2, AMP off and on: MetaKD in its
  full-modality warm-up with the first-order and with the unrolled meta step, MetaKD with random missing
  modalities, the same network without KD or meta steps, and MONAI's SegResNet on the 4-channel input
  (``benchmarks/train_step.py``: each in its own process, interleaved rounds, medians). The meta step is amortised
  at the bundle's warm-up rate (20 steps every 100 iterations), scaled to ``--meta_steps`` every
  ``--meta_interval``. Random tensors of the crop's shape: the cost of a step does not depend on the voxels.
- ``meta``: the meta step under AMP on one real crop: the meta gradient on the modality logits from a trainer with
  AMP against one without (relative error; the trainer runs the meta step in fp32 under AMP), what the same
  gradient would be under fp16 autocast, and how far ``--meta_moves`` meta steps under AMP move the weights.
- ``inference``: per case at full size with sliding windows (``--sw_roi``, overlap 0.5, AMP): one subset (all
  modalities), all 15 subsets with the fast path (encode once, decode per subset) and 15 plain runs.
- ``loader``: batches per second of the bundle's training loader alone (its cache filled first, time reported)
  against the AMP MetaKD step of ``train`` (with missing modalities): the fraction of time the GPU can be busy.
- ``bundle``: a short real training through ``python -m monai.bundle run training`` with AMP on the cases (a
  seeded split: 1 validation, 1 test, 1 meta-validation case, the rest training): it runs, the loss falls, the
  modality weights move, a checkpoint is written.

    python benchmarks/gpu_suite.py --data_dir ../shared/data/brats18                  # a CUDA machine
    python benchmarks/gpu_suite.py --data_dir ../shared/data/brats18 --sections train,meta
    python benchmarks/gpu_suite.py --device cpu --data_dir demo_data --roi 32 --sw_roi 32 --channels 4,8,16,32 \\
        --iters 2 --rounds 1 --meta_interval 1 --meta_steps 1 --bundle_iterations 4   # a smoke run on a CPU

Without CUDA (and without ``--device cpu``) it says so in one line and exits 0. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "bundles" / "metakd_brats"
SECTIONS = ("train", "meta", "inference", "loader", "bundle")
TRAIN_VARIANTS = ("metakd_full", "metakd_unrolled", "metakd_drop", "plain", "segresnet")
Row = tuple[str, str, str, str]  # section, measurement, value, target


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn: Callable[[], object], device: torch.device, rounds: int) -> float:
    """Median seconds of ``rounds`` calls of ``fn`` after one untimed call."""
    fn()
    times = []
    for _ in range(rounds):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _network(args: argparse.Namespace, device: torch.device) -> torch.nn.Module:
    from metakd_ext.networks import MultiEncoderUNet

    torch.manual_seed(0)
    return MultiEncoderUNet(channels=tuple(int(c) for c in args.channels.split(","))).to(device)


def _write_datalist(data_dir: Path, output: Path) -> dict:
    """A seeded split of the cases: one validation, one test, one meta-validation case, the rest training."""
    from metakd_ext.data import find_brats_cases, write_brats_datalist

    n = len(find_brats_cases(data_dir))
    if n < 4:
        raise SystemExit(f"gpu_suite: {data_dir} has {n} BraTS cases; the loader and bundle sections need >= 4.")
    return write_brats_datalist(data_dir, output, val_fraction=1 / n, test_fraction=1 / n, num_meta=1)


def train_section(args: argparse.Namespace, device: torch.device) -> tuple[list[Row], dict]:
    """Seconds per iteration and peak memory of the training variants, AMP off and on."""
    import train_step

    rows: list[Row] = []
    results = {}
    for amp in (False, True) if device.type == "cuda" else (False,):
        argv = [
            f"--roi={args.roi}",
            f"--batch={args.batch}",
            f"--channels={args.channels}",
            f"--iters={args.iters}",
            f"--warmup={args.warmup}",
            f"--meta_interval={args.meta_interval}",
            f"--meta_steps={args.meta_steps}",
            f"--device={device}",
        ] + (["--amp"] if amp else [])
        results[amp] = train_step.time_variants(argv, TRAIN_VARIANTS, args.rounds)
    for amp, res in results.items():
        base = res["plain"]["seconds_per_iter"]
        for variant, r in res.items():
            target = "<= 1.1 x plain" if variant.startswith("metakd") else ""
            rows.append(
                (
                    "train",
                    f"{variant}, AMP {'on' if amp else 'off'}: s / iteration (x plain), peak MiB",
                    f"{r['seconds_per_iter']:.3f} ({r['seconds_per_iter'] / base:.2f} x), {r['peak_mib']:.0f}",
                    target,
                )
            )
    return rows, results


def _real_batch(args: argparse.Namespace, device: torch.device) -> dict:
    """A batch of ``--batch`` centred ROI crops of the first case, normalised, with its region labels."""
    from eval_subsets import load_cases
    from monai.transforms import CenterSpatialCrop, SpatialPad

    _, image, label = load_cases(str(args.data_dir), 1)[0]
    fit = [SpatialPad([args.roi] * 3), CenterSpatialCrop([args.roi] * 3)]
    image, label = image[0], label.float()
    for t in fit:
        image, label = t(image), t(label)
    rep = (args.batch, 1, 1, 1, 1)
    return {
        "image": torch.as_tensor(image)[None].repeat(rep).to(device),
        "label": torch.as_tensor(label)[None].repeat(rep).to(device),
        "modality_mask": torch.ones(args.batch, 4, dtype=torch.bool),
    }


def _bundle_loss() -> Callable:
    """The bundle's task loss (Dice + BCE per region channel), from its train.json."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(str(BUNDLE / "configs" / "train.json"))
    return parser.get_parsed_content("loss")


def _meta_trainer(net: torch.nn.Module, batch: dict, amp: bool, steps: int, device: torch.device) -> tuple:
    """(trainer, weight learner): a MetaKD trainer of ``net`` whose meta batch is ``batch``; seeded logits."""
    from metakd_ext.engines import MetaKDTrainer
    from metakd_ext.networks import ModalityWeightLearner

    torch.manual_seed(1)
    learner = ModalityWeightLearner(4).to(device)
    trainer = MetaKDTrainer(
        device=device,
        max_epochs=1,
        train_data_loader=[batch],
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=1e-2),
        loss_function=_bundle_loss(),
        weight_learner=learner,
        meta_data_loader=[batch],
        meta_optimizer=torch.optim.Adam(learner.parameters(), lr=1e-2),
        meta_steps=steps,
        amp=amp,
    )
    return trainer, learner


def meta_section(args: argparse.Namespace, device: torch.device) -> list[Row]:
    """The meta gradient under AMP against fp32, and the weights' movement over a few meta steps."""
    net = _network(args, device)
    batch = _real_batch(args, device)
    grads = {}
    for amp in (False, True):
        trainer, learner = _meta_trainer(copy.deepcopy(net), batch, amp, 1, device)
        trainer.meta_step()
        grads[amp] = learner.logits.grad.detach().float().clone()
    _, learner = _meta_trainer(net, batch, False, 1, device)
    net.eval()
    with torch.autocast(device.type, enabled=device.type == "cuda"):
        pred = net(batch["image"], modality_mask=batch["modality_mask"].to(device), modality_weights=learner.weights())
        loss = _bundle_loss()(pred, batch["label"]).mean()
    fp16 = torch.autograd.grad(loss, [learner.logits])[0].float()
    trainer, learner = _meta_trainer(_network(args, device), batch, device.type == "cuda", args.meta_moves, device)
    before = learner.weights().detach().clone()
    trainer.meta_step()
    moved = (learner.weights().detach() - before).abs().max().item()

    def rel(a: torch.Tensor, b: torch.Tensor) -> float:
        return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()

    norm = grads[False].norm().item()
    return [
        ("meta", "meta gradient on w, fp32: norm", f"{norm:.3g}", "> 0"),
        (
            "meta",
            "meta gradient, trainer with AMP vs fp32: relative error",
            f"{rel(grads[True], grads[False]):.2g}",
            "< 1e-2",
        ),
        (
            "meta",
            "the same gradient under fp16 autocast: norm, relative error",
            f"{fp16.norm().item():.3g}, {rel(fp16, grads[False]):.2g}",
            "(why the meta step runs in fp32)",
        ),
        ("meta", f"{args.meta_moves} meta steps under AMP: max change of the weights", f"{moved:.3g}", "> 0"),
    ]


def inference_section(args: argparse.Namespace, device: torch.device) -> list[Row]:
    """Seconds per case of full-volume sliding-window inference: one subset, 15 with the fast path, 15 plain."""
    from eval_subsets import load_cases

    from metakd_ext.data import BRATS_MODALITIES
    from metakd_ext.inferers import SubsetSlidingWindowInferer
    from metakd_ext.utils import all_subsets, subset_mask

    net = _network(args, device).eval()
    case, image, _ = load_cases(str(args.data_dir), 1)[0]
    subsets = {s: subset_mask(s, BRATS_MODALITIES) for s in all_subsets(BRATS_MODALITIES)}
    full = {s: m for s, m in subsets.items() if bool(m.all())}
    common = {"roi_size": args.sw_roi, "sw_batch_size": args.sw_batch_size, "overlap": 0.5}
    fast, plain = SubsetSlidingWindowInferer(**common, fast=True), SubsetSlidingWindowInferer(**common, fast=False)
    amp = device.type == "cuda"

    def predict(inferer, chosen: dict) -> None:
        with torch.no_grad(), torch.autocast(device.type, enabled=amp):
            for out in inferer(image.to(device), net, subsets=chosen).values():
                (out.float().sigmoid() > 0.5).cpu()

    one = _timed(lambda: predict(plain, full), device, args.rounds)
    all_fast = _timed(lambda: predict(fast, subsets), device, args.rounds)
    all_plain = _timed(lambda: [predict(plain, {s: m}) for s, m in subsets.items()], device, args.rounds)
    where = f"{case} {tuple(image.shape[2:])}, ROI {args.sw_roi}, AMP {'on' if amp else 'off'}"
    return [
        ("inference", f"one subset, full volume ({where}): s / case", f"{one:.2f}", "< 1 s"),
        ("inference", "15 subsets, fast path: s / case", f"{all_fast:.2f}", "< 3 s"),
        ("inference", "15 plain runs: s / case (x fast)", f"{all_plain:.2f} ({all_plain / all_fast:.1f} x)", ""),
    ]


def loader_section(args: argparse.Namespace, device: torch.device, step_seconds: float | None) -> list[Row]:
    """Batches per second of the bundle's training loader alone, against the training step."""
    from monai.bundle import ConfigParser

    with tempfile.TemporaryDirectory() as tmp:
        datalist = Path(tmp) / "datalist.json"
        _write_datalist(args.data_dir, datalist)
        parser = ConfigParser()
        parser.read_config(str(BUNDLE / "configs" / "train.json"))
        parser.update(
            {
                "bundle_root": tmp,
                "dataset_dir": str(args.data_dir),
                "datalist": str(datalist),
                "roi_size": [args.roi] * 3,
                "batch_size": args.batch,
                "num_workers": args.num_workers,
            }
        )
        start = time.perf_counter()
        loader = parser.get_parsed_content("train#dataloader")
        cache = time.perf_counter() - start
        it = iter(loader)
        next(it)  # the workers' first start, not counted
        start, drawn = time.perf_counter(), 0
        while drawn < args.loader_batches:  # across epochs, the workers' restarts included
            drawn += sum(1 for _ in it)
            it = iter(loader)
        per_batch = (time.perf_counter() - start) / drawn
    rows = [
        ("loader", f"cache fill ({len(loader.dataset)} training cases)", f"{cache:.1f} s", ""),
        ("loader", f"training loader alone, {args.num_workers} workers: batches / s", f"{1 / per_batch:.2f}", ""),
    ]
    if step_seconds is not None:
        busy = min(1.0, step_seconds / per_batch)
        rows.append(
            ("loader", "GPU busy fraction (step time / loader time per batch, capped at 1)", f"{busy:.2f}", "1.00")
        )
    return rows


def bundle_section(args: argparse.Namespace, device: torch.device) -> list[Row]:
    """A short real training through the bundle runner: it runs, the loss falls, the weights move, a checkpoint."""
    with tempfile.TemporaryDirectory() as tmp:
        datalist = Path(tmp) / "datalist.json"
        n_train = len(_write_datalist(args.data_dir, datalist)["training"])
        epochs = max(1, args.bundle_iterations // max(1, n_train // args.batch))
        cmd = [
            sys.executable, "-m", "monai.bundle", "run", "training",
            "--config_file", str(BUNDLE / "configs" / "train.json"),
            "--logging_file", str(BUNDLE / "configs" / "logging.conf"),
            "--bundle_root", tmp, "--dataset_dir", str(args.data_dir), "--datalist", str(datalist),
            "--epochs", str(epochs), "--val_interval", str(epochs), "--batch_size", str(args.batch),
            "--roi_size", json.dumps([args.roi] * 3), "--network_channels", f"[{args.channels}]",
            "--meta_interval", str(args.meta_interval), "--meta_warmup_interval", str(args.meta_interval),
            "--meta_steps", str(args.meta_steps), "--num_workers", str(args.num_workers),
            "--device", f"$torch.device('{device}')", "--amp", str(device.type == "cuda"),
        ]  # fmt: skip
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - start
        if out.returncode != 0:
            raise SystemExit(f"gpu_suite: the bundle run failed:\n{' '.join(cmd)}\n{out.stderr[-4000:]}")
        log = out.stdout + out.stderr
        ckpts = sorted(p.name for p in (Path(tmp) / "models").glob("*.pt"))
    losses = [float(v) for v in re.findall(r"(?<!\w)loss: ([-+.\deE]+)", log)]
    weights = re.findall(r"modality weights: (.*)", log)
    if not losses or not weights:
        raise SystemExit(f"gpu_suite: no loss or modality weights in the bundle run's log:\n{log[-4000:]}")
    k = max(1, len(losses) // 10)
    first, last = statistics.mean(losses[:k]), statistics.mean(losses[-k:])
    amp = "on" if device.type == "cuda" else "off"
    return [
        (
            "bundle",
            f"{epochs} epochs x {n_train // args.batch} iterations, AMP {amp}: wall s (whole run)",
            f"{wall:.0f}",
            "",
        ),
        ("bundle", f"loss, mean of the first / last {k} iterations", f"{first:.3f} / {last:.3f}", "falls"),
        ("bundle", "modality weights, first logged", weights[0], ""),
        ("bundle", "modality weights, last logged", weights[-1], "moved"),
        ("bundle", "checkpoints written", ", ".join(ckpts) or "none", "model.pt, model_final.pt"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", type=Path, default=ROOT.parent / "shared" / "data" / "brats18")
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu, for a smoke run")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--roi", type=int, default=128, help="training crop size")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--channels", default="16,32,64,128,256", help="the U-Net's widths")
    parser.add_argument("--iters", type=int, default=20, help="timed training iterations per round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed training iterations first")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; medians are printed")
    parser.add_argument("--meta_interval", type=int, default=10)
    parser.add_argument("--meta_steps", type=int, default=2)
    parser.add_argument("--meta_moves", type=int, default=5, help="meta steps whose movement of the weights is shown")
    parser.add_argument("--sw_roi", type=int, default=128, help="sliding-window size of inference")
    parser.add_argument("--sw_batch_size", type=int, default=2)
    parser.add_argument("--num_workers", type=int, default=4, help="the bundle loader's workers")
    parser.add_argument("--loader_batches", type=int, default=40, help="batches the loader section draws")
    parser.add_argument("--bundle_iterations", type=int, default=300, help="iterations of the short bundle run")
    args = parser.parse_args()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown --sections {unknown}; choose from {', '.join(SECTIONS)}")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("gpu_suite: CUDA is not available on this machine; nothing measured (--device cpu makes a smoke run).")
        return
    rows: list[Row] = []
    step = None
    if "train" in sections:
        train_rows, results = train_section(args, device)
        rows += train_rows
        step = results[device.type == "cuda"]["metakd_drop"]["seconds_per_iter"]
    if "meta" in sections:
        rows += meta_section(args, device)
    if "inference" in sections:
        rows += inference_section(args, device)
    if "loader" in sections:
        rows += loader_section(args, device, step)
    if "bundle" in sections:
        rows += bundle_section(args, device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(
        f"device {name}, torch {torch.__version__}, ROI {args.roi}^3, batch {args.batch}, channels {args.channels}, "
        f"meta step of {args.meta_steps} every {args.meta_interval} iterations, {args.rounds} rounds (medians)"
    )
    print("| section | measurement | value | target |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
