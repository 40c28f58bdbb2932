"""Offline BraTS-like demo data: a 4-modality glioma phantom on the real MNI152 anatomy that nilearn ships.

Each case deforms the MNI152 2009 grey / white matter maps a little, places a random glioma (oedema, enhancing
rim, necrotic / non-enhancing core, sometimes without enhancement as in lower-grade tumours), and renders FLAIR,
T1, T1ce and T2 with tissue- and tumour-specific contrasts, partial volumes, a smooth bias field, Rician noise
and a scanner gain. Every tumour region is visible in more than one modality with different contrast-to-noise:

======== ===== ==== ==== ==== ======== ==== ====
modality CSF   GM   WM   oedema NCR/NET  ET   noise
======== ===== ==== ==== ==== ======== ==== ====
FLAIR    0.20  0.85 0.70 1.35   0.90     1.15 0.07
T1       0.30  0.60 0.95 0.60   0.35     0.68 0.04
T1ce     0.30  0.62 0.92 0.60   0.35     1.60 0.05
T2       1.50  0.80 0.55 1.25   1.45     1.00 0.07
======== ===== ==== ==== ==== ======== ==== ====

(relative intensities; the noise is the Rician sigma relative to the brightest tissue.) Oedema is bright on
FLAIR and T2, enhancing tumour on T1ce (and shows weakly elsewhere), necrosis dark on T1 / T1ce and bright on
T2. Files are written in the BraTS 2018 layout (int16 NIfTI, labels 0/1/2/4) with a datalist.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from scipy import ndimage

from metakd_ext.data.brats_datalist import BRATS_MODALITIES, write_brats_datalist
from metakd_ext.data.phantom import load_mni_anatomy, random_affine_deform, rician_noise, smooth_noise
from metakd_ext.utils.io import save_nifti

__all__ = [
    "TISSUE_CONTRAST",
    "make_brats_case",
    "make_brats_demo",
]

logger = logging.getLogger("metakd")

TISSUE_CONTRAST: dict[str, dict[str, float]] = {
    "flair": {"csf": 0.20, "gm": 0.85, "wm": 0.70, "ed": 1.35, "ncr": 0.90, "et": 1.15, "noise": 0.07},
    "t1": {"csf": 0.30, "gm": 0.60, "wm": 0.95, "ed": 0.60, "ncr": 0.35, "et": 0.68, "noise": 0.04},
    "t1ce": {"csf": 0.30, "gm": 0.62, "wm": 0.92, "ed": 0.60, "ncr": 0.35, "et": 1.60, "noise": 0.05},
    "t2": {"csf": 1.50, "gm": 0.80, "wm": 0.55, "ed": 1.25, "ncr": 1.45, "et": 1.00, "noise": 0.07},
}
"""Relative intensity of each tissue and tumour region per modality, and the Rician noise level."""


def _tumour(tissue: dict[str, np.ndarray], rng: np.random.Generator, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """A random glioma: (label map with 0/1/2/4, smooth texture field) on the tissue grid."""
    shape = tissue["gm"].shape
    brain = (tissue["gm"] + tissue["wm"] + tissue["csf"]) > 0.5
    parenchyma = (tissue["wm"] + 0.5 * tissue["gm"]) > 0.5
    depth = ndimage.distance_transform_edt(brain) * spacing
    r_wt = rng.uniform(16.0, 34.0)
    slices = np.flatnonzero(brain.any(axis=(0, 1)))
    supratentorial = np.zeros(shape, dtype=bool)
    supratentorial[..., slices[0] + int(0.4 * (slices[-1] - slices[0])) :] = True
    candidates = np.argwhere(parenchyma & supratentorial & (depth > 0.6 * r_wt))
    if len(candidates) == 0:
        candidates = np.argwhere(parenchyma)
    centre = candidates[rng.integers(len(candidates))].astype(np.float32)
    grid = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in shape], indexing="ij"))
    axes = rng.uniform(0.7, 1.3, size=3)
    dist = np.sqrt((((grid - centre[:, None, None, None]) * spacing / axes[:, None, None, None]) ** 2).sum(0))
    lumpy = dist - 0.18 * r_wt * smooth_noise(rng, shape, sigma=6.0 / spacing)
    r_tc = rng.uniform(0.35, 0.7) * r_wt
    lumpy_core = dist - 0.12 * r_tc * smooth_noise(rng, shape, sigma=3.0 / spacing)
    oedema_reach = lumpy < r_wt * (0.6 + 0.6 * np.clip(tissue["wm"], 0, 1))
    core = lumpy_core < r_tc
    enhancing = rng.random() > 0.15
    necrosis = lumpy_core < r_tc * (rng.uniform(0.45, 0.85) if rng.random() < 0.8 else 0.0)
    label = np.zeros(shape, dtype=np.uint8)
    label[oedema_reach & brain] = 2
    label[core & brain] = 4 if enhancing else 1
    if enhancing:
        label[necrosis & brain] = 1
    texture = smooth_noise(rng, shape, sigma=1.5 / spacing)
    return label, texture


def _render(
    tissue: dict[str, np.ndarray],
    label: np.ndarray,
    texture: np.ndarray,
    modality: str,
    rng: np.random.Generator,
    spacing: float,
) -> np.ndarray:
    """One modality as int16 raw intensities, zero outside the brain."""
    c = TISSUE_CONTRAST[modality]
    total = tissue["gm"] + tissue["wm"] + tissue["csf"]
    brain = total > 0.5
    weights = {k: tissue[k] / np.maximum(total, 1e-6) for k in ("gm", "wm", "csf")}
    image = sum(c[k] * weights[k] for k in ("gm", "wm", "csf"))
    jitter = {k: c[k] * rng.uniform(0.9, 1.1) for k in ("ed", "ncr", "et")}
    for value, key in ((2, "ed"), (1, "ncr"), (4, "et")):
        region = label == value
        image = np.where(region, jitter[key] * (1.0 + 0.08 * texture), image)
    image = ndimage.gaussian_filter(image.astype(np.float32), sigma=0.6 / spacing)
    coords = np.stack(np.meshgrid(*[np.linspace(-1, 1, s, dtype=np.float32) for s in image.shape], indexing="ij"))
    coefs = rng.normal(0.0, 0.12, size=(3,)) @ coords.reshape(3, -1) + rng.normal(0.0, 0.05, size=(3,)) @ (
        coords.reshape(3, -1) ** 2
    )
    image = image * np.exp(coefs.reshape(image.shape))
    sigma = c["noise"] * max(c[k] for k in ("gm", "wm", "csf"))
    noisy = rician_noise(image, sigma, rng).astype(np.float32)
    gain = rng.uniform(300.0, 1200.0)
    return np.where(brain, np.clip(noisy * gain, 1, 32000), 0).astype(np.int16)


def make_brats_case(
    anatomy: dict[str, np.ndarray], rng: np.random.Generator, spacing: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """One phantom case: ({modality: int16 volume}, uint8 label map 0/1/2/4)."""
    tissue = random_affine_deform({k: anatomy[k] for k in ("gm", "wm", "csf")}, rng)
    label, texture = _tumour(tissue, rng, spacing)
    images = {m: _render(tissue, label, texture, m, rng, spacing) for m in BRATS_MODALITIES}
    return images, label


def make_brats_demo(
    output_dir: str | os.PathLike,
    num_cases: int = 40,
    seed: int = 0,
    spacing: float = 2.0,
    missing_fraction: float = 0.0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.3,
    num_meta: int = 2,
) -> Path:
    """Writes a BraTS 2018-layout demo data set and its datalist; deterministic for a seed.

    Args:
        output_dir: where the case folders and ``datalist.json`` go.
        num_cases: number of cases.
        seed: random seed; the same seed gives the same files.
        spacing: voxel size in mm (1.0 is BraTS-like, 197 x 233 x 189; 2.0 is 8 times smaller, for CPU demos).
        missing_fraction: fraction of cases that lack one or two modality files, as clinics' data does.
        val_fraction: fraction of cases in the validation split (chooses the checkpoint).
        test_fraction: fraction of cases in the held-out testing split (scored by the evaluation; the default 40
            cases give 22 training, 4 validation, 2 meta-validation and 12 testing cases).
        num_meta: cases in the meta-validation split.

    Returns:
        The path of the datalist JSON.

    Raises:
        ValueError: an argument is out of range.
    """
    if num_cases < 1:
        raise ValueError(f"`num_cases` must be >= 1, got {num_cases}.")
    if spacing <= 0:
        raise ValueError(f"`spacing` must be > 0, got {spacing}.")
    if not 0.0 <= missing_fraction <= 1.0:
        raise ValueError(f"`missing_fraction` must be in [0, 1], got {missing_fraction}.")
    out = Path(output_dir)
    anatomy = load_mni_anatomy(spacing)
    affine = anatomy["affine"]
    for i in range(num_cases):
        rng = np.random.default_rng([seed, i])
        name = f"BratsDemo_{i:04d}"
        case_dir = out / name
        images, label = make_brats_case(anatomy, rng, spacing)
        drop: list[str] = []
        if rng.random() < missing_fraction:
            drop = list(rng.choice(BRATS_MODALITIES, size=rng.integers(1, 3), replace=False))
        for modality, volume in images.items():
            path = case_dir / f"{name}_{modality}.nii.gz"
            if modality in drop:
                path.unlink(missing_ok=True)
                continue
            save_nifti(volume, affine, path)
        save_nifti(label, affine, case_dir / f"{name}_seg.nii.gz")
        logger.info(f"demo case {name} written" + (f" without {', '.join(drop)}" if drop else ""))
    datalist = out / "datalist.json"
    write_brats_datalist(
        out, datalist, val_fraction=val_fraction, test_fraction=test_fraction, num_meta=num_meta, seed=seed
    )
    return datalist
