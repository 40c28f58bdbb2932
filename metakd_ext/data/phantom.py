"""Building blocks of the offline demo phantoms: the MNI152 anatomy that nilearn ships, its random deformation,
smooth fields and MRI noise. The BraTS demo (glioma) and the ADNI demo (atrophy, PET) render their images from them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["load_mni_anatomy", "random_affine_deform", "rician_noise", "smooth_noise"]


def load_mni_anatomy(spacing: float = 1.0) -> dict[str, np.ndarray]:
    """The MNI152 2009 grey matter, white matter and CSF probability maps at ``spacing`` mm, and the affine.

    Raises:
        ImportError: nilearn is not installed (``pip install metakd-monai[demo]``).
    """
    try:
        from nilearn import datasets
    except ImportError as e:
        raise ImportError(
            "the demo data needs nilearn: pip install 'metakd-monai[demo]' (or pip install nilearn)."
        ) from e
    gm_img = datasets.load_mni152_gm_template(resolution=1)
    gm = np.asarray(gm_img.get_fdata(), dtype=np.float32)
    wm = np.asarray(datasets.load_mni152_wm_template(resolution=1).get_fdata(), dtype=np.float32)
    brain = np.asarray(datasets.load_mni152_brain_mask(resolution=1).get_fdata(), dtype=np.float32) > 0
    brain = ndimage.binary_fill_holes(brain | ((gm + wm) > 0.2))
    csf = np.clip(brain - gm - wm, 0.0, 1.0).astype(np.float32)
    affine = np.array(gm_img.affine, dtype=np.float64)
    maps = {"gm": gm, "wm": wm, "csf": csf}
    if spacing != 1.0:
        zoom = 1.0 / spacing
        maps = {k: ndimage.zoom(v, zoom, order=1).astype(np.float32) for k, v in maps.items()}
        affine[:3, :3] *= spacing
    return {**maps, "affine": affine}


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Zero-mean, unit-std smooth random field."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma)
    return (field - field.mean()) / (field.std() + 1e-8)


def rician_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The magnitude of ``image`` plus complex Gaussian noise of standard deviation ``sigma`` (MRI noise)."""
    return np.sqrt((image + rng.normal(0, sigma, image.shape)) ** 2 + rng.normal(0, sigma, image.shape) ** 2)


def random_affine_deform(maps: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A random small affine change of the anatomy (scale, rotation, shift) about the volume centre."""
    shape = np.array(next(iter(maps.values())).shape)
    angles = np.deg2rad(rng.uniform(-6, 6, size=3))
    rot = np.eye(3)
    for axis, angle in enumerate(angles):
        c, s = np.cos(angle), np.sin(angle)
        a, b = [i for i in range(3) if i != axis]
        r = np.eye(3)
        r[a, a], r[a, b], r[b, a], r[b, b] = c, -s, s, c
        rot = rot @ r
    matrix = rot @ np.diag(1.0 / rng.uniform(0.92, 1.08, size=3))
    centre = (shape - 1) / 2.0
    offset = centre - matrix @ centre + rng.uniform(-2, 2, size=3)
    return {k: ndimage.affine_transform(v, matrix, offset=offset, order=1).astype(np.float32) for k, v in maps.items()}
