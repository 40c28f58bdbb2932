"""One multi-channel NIfTI per case, as MONAI Label's datastore takes it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import nibabel as nib
import numpy as np

from metakd_ext.data.brats_datalist import BRATS_MODALITIES, brats_case_files
from metakd_ext.transforms.array import LoadModalities
from metakd_ext.utils.io import atomic_write

__all__ = ["stack_brats_case"]


def stack_brats_case(case_dir: str | os.PathLike, output: str | os.PathLike) -> list[str]:
    """Writes the modalities of one BraTS case folder as one 4-channel NIfTI (X, Y, Z, 4: FLAIR, T1, T1ce, T2).

    A missing modality file becomes an all-zero channel. The grid (affine) and the data type of the case's files
    are kept; the file is written atomically.

    Args:
        case_dir: a case folder in the 2018-2021 or 2023+ layout.
        output: the NIfTI to write (``.nii.gz``).

    Returns:
        The names of the missing modalities.

    Raises:
        ValueError: ``case_dir`` is not a BraTS case folder, or its files do not share one grid.
    """
    folder = Path(case_dir)
    found = brats_case_files(folder)
    if found is None:
        raise ValueError(
            f"{folder} is not a BraTS case folder (files <case>_flair.nii.gz ... or <case>-t2f.nii.gz ...)."
        )
    files = found[1]
    paths = [str(files[m]) if m in files else None for m in BRATS_MODALITIES]
    image, mask = LoadModalities(BRATS_MODALITIES, dtype=None)(paths, case=folder.name)
    first = next(p for p in paths if p)
    reference = cast(nib.Nifti1Image, nib.load(first))
    data = np.moveaxis(image.numpy(), 0, -1).astype(reference.get_data_dtype())
    img = nib.Nifti1Image(data, reference.affine, reference.header)
    img.header.set_data_shape(data.shape)
    atomic_write(output, lambda tmp: nib.save(img, tmp))
    return [m for m, present in zip(BRATS_MODALITIES, mask.tolist()) if not present]
