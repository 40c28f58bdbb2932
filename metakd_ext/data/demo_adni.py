"""Offline ADNI-like demo data: simulated subjects (CN / MCI / AD) on the real MNI152 anatomy that nilearn ships.

Each subject has a latent disease severity drawn around its class mean (CN 0.05, MCI 0.4, AD 0.8, overlapping);
every modality sees that severity through its own noise, so no modality alone separates the classes:

- ``mri`` (T1-weighted): hippocampal / medial-temporal atrophy (grey matter replaced by CSF), enlarged
  ventricles (a radial expansion about the lateral ventricles) and mild global cortical thinning, graded by
  severity and age; random small affine pose, bias field, Rician noise.
- ``pet`` (FDG-like): uptake by grey / white matter, temporo-parietal and posterior cingulate hypometabolism
  graded by severity, PET-like blur and noise.
- ``clinical``: age, sex, MMSE, CDR-SB; ``csf``: amyloid-beta 42, total tau, p-tau (pg/mL); ``genetic``: APOE4
  allele count; ranges and overlaps like ADNI baseline (MMSE CN 29.1 +- 1.0, MCI 27.6 +- 1.8, AD 23.3 +- 2.0).

Modalities are missing at ADNI-like rates (:data:`MISSING_RATES`: PET about half, CSF about 40%); every subject
keeps at least one. The demo writes ``subjects/<id>_{mri,pet}.nii.gz``, ``subjects.csv`` and ``datalist.json``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path

import numpy as np
from scipy import ndimage

from metakd_ext.data.adni_datalist import ADNI_IMAGE_COLUMNS, ADNI_LABELS, ADNI_TABULAR_COLUMNS, write_subject_datalist
from metakd_ext.data.phantom import load_mni_anatomy, random_affine_deform, rician_noise, smooth_noise
from metakd_ext.utils.io import atomic_write_text, save_nifti

__all__ = [
    "CLASS_FRACTIONS",
    "MISSING_RATES",
    "make_adni_demo",
    "simulate_subject",
]

logger = logging.getLogger("metakd")

CLASS_FRACTIONS = {"CN": 0.35, "MCI": 0.40, "AD": 0.25}
"""Class mix of the demo, about ADNI's at baseline."""

MISSING_RATES = {"mri": 0.05, "pet": 0.5, "clinical": 0.05, "csf": 0.4, "genetic": 0.1}
"""Probability that a subject lacks each modality."""

_SEVERITY = {"CN": (0.05, 0.12), "MCI": (0.4, 0.15), "AD": (0.8, 0.15)}
_APOE4 = {"CN": (0.72, 0.25, 0.03), "MCI": (0.5, 0.4, 0.1), "AD": (0.35, 0.47, 0.18)}
_HIPPOCAMPI = (((-26.0, -22.0, -14.0), (7.0, 15.0, 7.0)), ((26.0, -22.0, -14.0), (7.0, 15.0, 7.0)))
_HYPOMETABOLISM = (
    ((-45.0, -60.0, 35.0), 18.0),
    ((45.0, -60.0, 35.0), 18.0),
    ((-50.0, -25.0, -15.0), 15.0),
    ((50.0, -25.0, -15.0), 15.0),
    ((0.0, -55.0, 30.0), 14.0),
)
_VENTRICLES = ((0.0, -10.0, 15.0), 28.0)


def _world(shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """(3, *shape) MNI coordinates in mm of every voxel."""
    idx = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in shape], indexing="ij")).reshape(3, -1)
    return (affine[:3, :3] @ idx + affine[:3, 3:]).reshape(3, *shape).astype(np.float32)


def _blob(world: np.ndarray, centre: tuple[float, ...], radii: tuple[float, ...] | float) -> np.ndarray:
    r = np.broadcast_to(np.asarray(radii, dtype=np.float32), (3,))
    d2 = sum(((world[i] - centre[i]) / r[i]) ** 2 for i in range(3))
    return np.exp(-0.5 * d2).astype(np.float32)


def _render_mri(
    tissue: dict[str, np.ndarray], world: np.ndarray, atrophy: float, rng: np.random.Generator
) -> np.ndarray:
    gm, wm, csf = tissue["gm"], tissue["wm"], tissue["csf"]
    brain = (gm + wm + csf) > 0.5
    hippo = sum(_blob(world, c, r) for c, r in _HIPPOCAMPI)
    loss = np.clip(0.85 * atrophy * hippo + 0.12 * atrophy, 0.0, 0.95)
    gm_lost = gm * loss
    gm, csf = gm - gm_lost, csf + gm_lost
    # enlarged ventricles: sample the anatomy nearer the ventricle centre, which magnifies the CSF there
    centre, radius = _VENTRICLES
    offsets = world - np.asarray(centre, dtype=np.float32)[:, None, None, None]
    shrink = 1.0 - 0.35 * atrophy * np.exp(-0.5 * (offsets**2).sum(0) / radius**2)
    coords = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in gm.shape], indexing="ij"))
    centre_vox = (np.linalg.inv(tissue["affine"]) @ np.array([*centre, 1.0]))[:3].astype(np.float32)
    src = centre_vox[:, None, None, None] + (coords - centre_vox[:, None, None, None]) * shrink
    gm, wm, csf = (ndimage.map_coordinates(v, src, order=1) for v in (gm, wm, csf))
    total = np.maximum(gm + wm + csf, 1e-6)
    image = (0.25 * csf + 0.6 * gm + 0.95 * wm) / total
    coords_n = np.stack(np.meshgrid(*[np.linspace(-1, 1, s, dtype=np.float32) for s in image.shape], indexing="ij"))
    image = image * np.exp(np.tensordot(rng.normal(0.0, 0.1, size=3), coords_n, axes=1))
    image = rician_noise(ndimage.gaussian_filter(image, 0.5), 0.035, rng)
    return np.where(brain, np.clip(image * rng.uniform(400, 1200), 1, 32000), 0).astype(np.int16)


def _render_pet(tissue: dict[str, np.ndarray], world: np.ndarray, hypo: float, rng: np.random.Generator) -> np.ndarray:
    gm, wm, csf = tissue["gm"], tissue["wm"], tissue["csf"]
    brain = (gm + wm + csf) > 0.5
    uptake = 1.0 * gm + 0.35 * wm + 0.05 * csf
    pattern = sum(_blob(world, c, r) for c, r in _HYPOMETABOLISM)
    uptake = uptake * (1.0 - 0.45 * hypo * np.clip(pattern, 0.0, 1.0))
    spacing = float(np.abs(tissue["affine"][0, 0]))
    uptake = ndimage.gaussian_filter(uptake, 3.4 / spacing)
    uptake = uptake * (1.0 + 0.06 * smooth_noise(rng, uptake.shape, 1.5)) + rng.normal(0, 0.02, uptake.shape)
    return np.where(brain, np.clip(uptake * rng.uniform(2000, 8000), 1, 32000), 0).astype(np.int16)


def simulate_subject(
    label: str, anatomy: dict[str, np.ndarray], world: np.ndarray, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """One subject of class ``label``: ({"mri", "pet": int16 volume}, {column: value}) with every modality."""
    mean, sd = _SEVERITY[label]
    severity = float(np.clip(rng.normal(mean, sd), 0.0, 1.0))
    age = float(np.clip(rng.normal(72.0 + 3.0 * severity, 6.5), 55.0, 92.0))
    values = {
        "age": round(age, 1),
        "sex": float(rng.integers(0, 2)),
        "mmse": float(np.clip(np.round(29.4 - 7.5 * severity + rng.normal(0, 1.4)), 10, 30)),
        "cdr_sb": float(np.clip(np.round(2 * (5.0 * severity - 0.3 + rng.normal(0, 0.9))) / 2, 0, 18)),
        "abeta42": round(float(np.clip(1250 - 650 * severity + rng.normal(0, 230), 200, 2500)), 1),
        "ttau": round(float(np.clip(220 + 180 * severity + rng.normal(0, 75), 80, 1200)), 1),
        "ptau": round(float(np.clip(20 + 18 * severity + rng.normal(0, 7.5), 8, 120)), 2),
        "apoe4": float(rng.choice(3, p=_APOE4[label])),
    }
    tissue = random_affine_deform({k: anatomy[k] for k in ("gm", "wm", "csf")}, rng)
    tissue["affine"] = anatomy["affine"]
    atrophy = float(np.clip(severity + 0.015 * (age - 72.0) + rng.normal(0, 0.15), 0.0, 1.2))
    hypo = float(np.clip(severity + rng.normal(0, 0.15), 0.0, 1.2))
    images = {"mri": _render_mri(tissue, world, atrophy, rng), "pet": _render_pet(tissue, world, hypo, rng)}
    return images, values


def make_adni_demo(
    output_dir: str | os.PathLike,
    num_subjects: int = 240,
    seed: int = 0,
    spacing: float = 4.0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    num_meta: int = 6,
) -> Path:
    """Writes the ADNI-like demo: image volumes, ``subjects.csv`` and ``datalist.json``; deterministic for a seed.

    Args:
        output_dir: destination folder.
        num_subjects: number of subjects.
        seed: random seed; the same seed writes the same data.
        spacing: voxel size in mm (4.0: 49 x 58 x 47 volumes, for CPU demos).
        val_fraction: stratified validation fraction.
        test_fraction: stratified test fraction.
        num_meta: subjects held out for meta-validation.

    Returns:
        The path of the datalist JSON.

    Raises:
        ValueError: an argument is out of range.
    """
    if num_subjects < 3:
        raise ValueError(f"`num_subjects` must be >= 3 (one per class), got {num_subjects}.")
    if spacing <= 0:
        raise ValueError(f"`spacing` must be > 0, got {spacing}.")
    out = Path(output_dir)
    anatomy = load_mni_anatomy(spacing)
    world = _world(anatomy["gm"].shape, anatomy["affine"])
    names = list(CLASS_FRACTIONS)
    columns = [
        "subject",
        "diagnosis",
        *ADNI_IMAGE_COLUMNS.values(),
        *(c for v in ADNI_TABULAR_COLUMNS.values() for c in v),
    ]
    rows = []
    for i in range(num_subjects):
        rng = np.random.default_rng([seed, i])
        label = names[i % 3] if i < 3 else str(rng.choice(names, p=list(CLASS_FRACTIONS.values())))
        subject = f"DEMO_{i:04d}"
        images, values = simulate_subject(label, anatomy, world, rng)
        missing = {m for m, p in MISSING_RATES.items() if rng.random() < p}
        if missing >= set(MISSING_RATES):
            missing.discard("mri")
        if "csf" not in missing and rng.random() < 0.05:
            values["ptau"] = float("nan")  # a partly measured panel: imputed with the training mean
        row: dict[str, object] = {"subject": subject, "diagnosis": label}
        for modality, column in ADNI_IMAGE_COLUMNS.items():
            if modality in missing:
                row[column] = ""
                continue
            rel = f"subjects/{subject}_{modality}.nii.gz"
            save_nifti(images[modality], anatomy["affine"], out / rel)
            row[column] = rel
        for modality, cols in ADNI_TABULAR_COLUMNS.items():
            for c in cols:
                row[c] = "" if modality in missing or np.isnan(values[c]) else values[c]
        rows.append(row)
        logger.info(
            f"demo subject {subject} ({label}) written" + (f" without {', '.join(sorted(missing))}" if missing else "")
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "subjects.csv", buffer.getvalue())
    return write_subject_datalist(
        out / "subjects.csv",
        out / "datalist.json",
        ADNI_IMAGE_COLUMNS,
        ADNI_TABULAR_COLUMNS,
        ADNI_LABELS,
        val_fraction,
        test_fraction,
        num_meta,
        seed,
    )
