"""Screens MetaKD's distillation settings against the baselines with the comparison command, on held-out cases.

Each setting is a distillation method with three keys set: ``kd_scales`` (``bott`` the bottleneck, ``all``
every scale the decoder reads), ``kd_normalize`` (``plain`` or ``norm``) and ``kd_pairs`` (``pairs``: every ordered
pair, ``weaker``: only from the more important modality). A setting is named by the method and the three, e.g.
``mkd_all_norm_weaker``. The method is ``mkd`` (MetaKD, ``metakd.json``), ``rnd`` (``metakd.json`` without the
meta step: the weights stay at the seed's random start, so a run shows what the meta step adds to the same ratios),
``uni`` (equal fixed weights, ``uniform.json``) or ``lckd`` (elected teachers, ``lckd.json``), so that the baselines
can be compared with MetaKD at the same scales and distance; ``weaker`` needs modality weights (``mkd``, ``rnd``).
The default is MetaKD's eight settings. The script copies the bundle's configs to
``OUTPUT_DIR/bundle/configs/``, writes one config per setting there, and runs ``compare_methods`` over the
baselines and the settings (the first baseline is the reference of the paired tests), so the table, the
losses, the weights and the paired tests are the comparison's own (``OUTPUT_DIR/comparison.md``,
``comparison_tests.csv``). Finished runs are kept, so an interrupted screen continues where it stopped, and a
screen of a few settings can grow into a larger one in the same folder. The run folders are what
``benchmarks/distillation_probe.py --bundle_root OUTPUT_DIR/bundle`` reads.

The real-case screen of the BraTS README (20 real BraTS 2018 cases, 2 mm, 2 folds, 448 iterations)::

    python benchmarks/kd_screen.py --dataset_dir real20 --output_dir kd_screen --folds 2 \
        --overrides "{'spacing': [2, 2, 2], 'epochs': 112, 'val_interval': 8, 'roi_size': [32, 32, 32]}"
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import shutil
from pathlib import Path

from metakd_ext.comparison import compare_methods

BUNDLE = Path(__file__).resolve().parents[1] / "bundles" / "metakd_brats"
SCALES = {"bott": "bottleneck", "all": "all"}
NORMALIZE = {"plain": False, "norm": True}
PAIRS = {"pairs": "all", "weaker": "to_weaker"}
METHODS = {"mkd": "metakd", "rnd": "metakd", "uni": "uniform", "lckd": "lckd"}
NO_META_STEP = {"meta_interval": 0, "meta_warmup_interval": 0}
SETTINGS = [f"mkd_{s}_{n}_{p}" for s, n, p in itertools.product(SCALES, NORMALIZE, PAIRS)]
KNOWN = [
    f"{m}_{s}_{n}_{p}"
    for m, s, n, p in itertools.product(METHODS, SCALES, NORMALIZE, PAIRS)
    if METHODS[m] == "metakd" or p == "pairs"
]


def setting_config(name: str) -> dict:
    """The keys of one setting, from its name ``<method>_<scales>_<normalize>_<pairs>``, without the method's own.

    Raises:
        ValueError: the name is not one of :data:`KNOWN` (``uni`` and ``lckd`` only with ``pairs``).
    """
    if name not in KNOWN:
        raise ValueError(f"setting {name!r} is not one of {KNOWN}.")
    method, scales, normalize, pairs = name.split("_")
    frozen = method == "rnd"
    return {
        "_desc_": f"kd_screen.py: {METHODS[method]}.json{' without the meta step' if frozen else ''} with kd_scales "
        f"{SCALES[scales]}, kd_normalize {NORMALIZE[normalize]}, kd_pairs {PAIRS[pairs]}",
        "method": name,
        "kd_scales": SCALES[scales],
        "kd_normalize": NORMALIZE[normalize],
        "kd_pairs": PAIRS[pairs],
        **(NO_META_STEP if frozen else {}),
    }


def write_screen_bundle(bundle: Path, output_dir: Path, settings: list[str]) -> Path:
    """``output_dir/bundle``: the bundle's configs and one ``<setting>.json`` per setting, merged over its
    method's config (``metakd.json``, ``uniform.json`` or ``lckd.json``); returns its path."""
    root = output_dir / "bundle"
    shutil.copytree(bundle / "configs", root / "configs", dirs_exist_ok=True)
    for name in settings:
        method = json.loads((bundle / "configs" / f"{METHODS[name.split('_')[0]]}.json").read_text())
        content = {**{k: v for k, v in method.items() if k != "_desc_"}, **setting_config(name)}
        (root / "configs" / f"{name}.json").write_text(json.dumps(content, indent=4) + "\n")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset_dir", required=True, help="the cases, with datalist.json")
    parser.add_argument("--output_dir", required=True, help="where the screen's bundle copy, runs and tables go")
    parser.add_argument("--bundle_root", default=str(BUNDLE), help="the BraTS bundle")
    parser.add_argument("--settings", default=str(SETTINGS), help="settings to screen, a Python list (of KNOWN)")
    parser.add_argument("--baselines", default="['nokd']", help="method configs of the bundle, a Python list")
    parser.add_argument("--seeds", default="[0]", help="a Python list")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--configs", default="['demo.json']", help="configs merged after train.json")
    parser.add_argument("--overrides", default="{}", help="top-level bundle keys for every run, a Python dict")
    args = parser.parse_args()
    settings, baselines, seeds, configs = (
        ast.literal_eval(a) for a in (args.settings, args.baselines, args.seeds, args.configs)
    )
    for name in settings:
        setting_config(name)
    out = Path(args.output_dir).resolve()
    root = write_screen_bundle(Path(args.bundle_root), out, settings)
    report = compare_methods(
        str(root),
        args.dataset_dir,
        str(out),
        [*baselines, *settings],
        seeds,
        folds=args.folds,
        configs=configs,
        overrides=ast.literal_eval(args.overrides),
    )
    print(Path(report).read_text(), end="")


if __name__ == "__main__":
    main()
