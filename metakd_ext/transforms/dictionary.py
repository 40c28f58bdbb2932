"""Dictionary versions of :mod:`metakd_ext.transforms.array`.

The availability mask travels in the data dictionary under ``mask_key`` (default
:attr:`~metakd_ext.utils.BatchKey.MASK`) as a (M,) bool tensor; a DataLoader collates it to (B, M).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform, Randomizable

from metakd_ext.utils.availability import apply_modality_mask
from metakd_ext.utils.enums import BadImage, BatchKey

from .array import (
    AudioMFCC,
    BratsLabelToRegions,
    InferModalityMask,
    LoadModalities,
    NormalizeModalityIntensity,
    NormalizeTabular,
    RandDropModality,
    RegionsToBratsLabel,
    SetModalities,
    ZeroOutsideForeground,
    _case_prefix,
    grid_difference,
)

__all__ = [
    "CheckSameGridd",
    "LoadModalitiesd",
    "RandDropModalityd",
    "SetModalitiesd",
    "InferModalityMaskd",
    "NormalizeModalityIntensityd",
    "BratsLabelToRegionsd",
    "RegionsToBratsLabeld",
    "ZeroOutsideForegroundd",
    "NormalizeTabulard",
    "AudioMFCCd",
    "FillMissingModalitiesd",
    "LoadModalitiesD",
    "LoadModalitiesDict",
    "RandDropModalityD",
    "RandDropModalityDict",
    "SetModalitiesD",
    "SetModalitiesDict",
    "InferModalityMaskD",
    "InferModalityMaskDict",
    "NormalizeModalityIntensityD",
    "NormalizeModalityIntensityDict",
    "BratsLabelToRegionsD",
    "BratsLabelToRegionsDict",
    "RegionsToBratsLabelD",
    "RegionsToBratsLabelDict",
    "ZeroOutsideForegroundD",
    "ZeroOutsideForegroundDict",
    "NormalizeTabularD",
    "NormalizeTabularDict",
    "FillMissingModalitiesD",
    "FillMissingModalitiesDict",
    "CheckSameGridD",
    "CheckSameGridDict",
]


class LoadModalitiesd(MapTransform):
    """Loads the files named by one key per modality into one (M, *spatial) image and its availability mask.

    A key that is absent, None or empty is a missing modality; so is a file that does not exist when
    ``allow_missing_files`` is True. When no modality key is present and ``output_key`` holds a path, that file
    is read as one M-channel image whose all-zero channels are the missing modalities (the 4-channel NIfTI of
    MONAI Label). Each case is logged with the modalities it has.

    Args:
        keys: one key per modality, in channel order (e.g. ``["flair", "t1", "t1ce", "t2"]``).
        output_key: where the stacked image goes.
        mask_key: where the (M,) bool mask goes.
        case_key: key of the case name, used in messages.
        allow_missing_files: see :class:`metakd_ext.transforms.LoadModalities`.
        reader: image reader for MONAI's ``LoadImage``.
        bad_image: ``"error"`` or ``"missing"``; see :class:`metakd_ext.transforms.LoadModalities`.
    """

    def __init__(
        self,
        keys: KeysCollection,
        output_key: str = BatchKey.IMAGE,
        mask_key: str = BatchKey.MASK,
        case_key: str = BatchKey.CASE,
        allow_missing_files: bool = False,
        reader: str | None = None,
        bad_image: BadImage | str = BadImage.ERROR,
    ) -> None:
        super().__init__(keys, allow_missing_keys=True)
        self.loader = LoadModalities([str(k) for k in self.keys], allow_missing_files, reader, bad_image=bad_image)
        self.output_key = str(output_key)
        self.mask_key = str(mask_key)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        paths = [d.get(k) or None for k in self.keys]
        stacked = d.get(self.output_key)
        source = stacked if not any(paths) and isinstance(stacked, (str, os.PathLike)) else paths
        d[self.output_key], d[self.mask_key] = self.loader(source, case=_case(d, self.case_key))  # type: ignore[arg-type]
        return d


class CheckSameGridd(MapTransform):
    """Checks that the images under ``keys`` (a label map) lie on the voxel grid of the image under ``ref_key`` (the
    case's modalities): the same spatial shape and affine. A label on another grid would be cropped and flipped
    with its image, but no longer match it voxel for voxel, and train without a word.

    Put it right after loading, before any spatial transform, in training, validation and evaluation alike.

    Args:
        keys: the images to check, each a ``MetaTensor`` with its affine (e.g. ``"label"`` after ``LoadImaged``).
        ref_key: the reference image (``LoadModalitiesd``'s ``output_key``).
        case_key: key of the case name, used in messages.

    Raises:
        ValueError: a grid differs; the message names the case, the file, both shapes (or the affine) and what to do.
    """

    def __init__(self, keys: KeysCollection, ref_key: str = BatchKey.IMAGE, case_key: str = BatchKey.CASE) -> None:
        super().__init__(keys)
        self.ref_key = str(ref_key)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        ref = d[self.ref_key]
        for key in self.key_iterator(d):
            img = d[key]
            if not isinstance(img, MetaTensor) or not isinstance(ref, MetaTensor):
                raise TypeError(f"`{key}` and `{self.ref_key}` must be MetaTensors with affines (load them first).")
            difference = grid_difference(img, ref)
            if difference:
                raise ValueError(
                    f"{_case_prefix(_case(d, self.case_key))}the {key} file {img.meta.get('filename_or_obj', '')} is "
                    f"not on the grid of the case's images ({difference}); a {key} must lie on its images' grid. "
                    f"Resample it onto them (nearest-neighbour), or fix the datalist if it is another case's {key}."
                )
        return d


class RandDropModalityd(Randomizable, MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.RandDropModality`: draws the kept modalities of a
    sample from ``mask_key``, zeroes the dropped channels of every key and stores the draw in ``mask_key``.

    Args:
        keys: image key(s) whose channels are the modalities; all get the same draw.
        mask_key: availability mask key (read, then overwritten); absent means all available.
        prob: probability of dropping at all.
    """

    def __init__(self, keys: KeysCollection, mask_key: str = BatchKey.MASK, prob: float = 1.0) -> None:
        MapTransform.__init__(self, keys)
        self.mask_key = str(mask_key)
        self.dropper = RandDropModality(prob=prob)

    def set_random_state(
        self, seed: int | None = None, state: np.random.RandomState | None = None
    ) -> RandDropModalityd:
        super().set_random_state(seed, state)
        self.dropper.set_random_state(seed, state)
        return self

    def randomize(self, data: object = None) -> None:
        self.dropper.randomize(data)  # type: ignore[arg-type]

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        first = d[self.first_key(d)]
        mask = d.get(self.mask_key)
        keep = self.dropper(torch.ones(first.shape[0], dtype=torch.bool) if mask is None else mask)  # type: ignore
        for key in self.key_iterator(d):
            d[key] = apply_modality_mask(d[key], keep)  # type: ignore[call-overload]
        d[self.mask_key] = keep
        return d


class SetModalitiesd(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.SetModalities`.

    Args:
        keys: image key(s).
        subset: a subset name such as ``"flair+t1ce"``, or a list of modality names.
        modality_names: all M modality names in channel order.
        mask_key: availability mask key (read, then overwritten).
        case_key: key of the case name, used in messages.
    """

    def __init__(
        self,
        keys: KeysCollection,
        subset: str | Sequence[str],
        modality_names: Sequence[str],
        mask_key: str = BatchKey.MASK,
        case_key: str = BatchKey.CASE,
    ) -> None:
        super().__init__(keys)
        self.setter = SetModalities(subset, modality_names)
        self.mask_key = str(mask_key)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        mask = d.get(self.mask_key)
        for key in self.key_iterator(d):
            d[key], new_mask = self.setter(d[key], mask, case=_case(d, self.case_key))  # type: ignore[arg-type]
        d[self.mask_key] = new_mask
        return d


class InferModalityMaskd(MapTransform):
    """Stores the availability mask of an image key (all-zero channel = missing) under ``mask_key``.

    For a single multi-channel file per case, such as the 4-channel NIfTI that MONAI Label sends.
    """

    def __init__(self, keys: KeysCollection, mask_key: str = BatchKey.MASK) -> None:
        super().__init__(keys)
        self.mask_key = str(mask_key)
        self.infer = InferModalityMask()

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[self.mask_key] = self.infer(d[key])  # type: ignore[arg-type]
        return d


class NormalizeModalityIntensityd(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.NormalizeModalityIntensity`."""

    def __init__(self, keys: KeysCollection, lower: float = 0.5, upper: float = 99.5) -> None:
        super().__init__(keys)
        self.normalizer = NormalizeModalityIntensity(lower, upper)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.normalizer(d[key])  # type: ignore[arg-type]
        return d


class BratsLabelToRegionsd(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.BratsLabelToRegions`."""

    def __init__(self, keys: KeysCollection, et_label: int = 4, case_key: str = BatchKey.CASE) -> None:
        super().__init__(keys)
        self.converter = BratsLabelToRegions(et_label)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.converter(d[key], case=_case(d, self.case_key))  # type: ignore[arg-type]
        return d


class RegionsToBratsLabeld(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.RegionsToBratsLabel`."""

    def __init__(self, keys: KeysCollection, et_label: int = 4) -> None:
        super().__init__(keys)
        self.converter = RegionsToBratsLabel(et_label)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.converter(d[key])  # type: ignore[arg-type]
        return d


class ZeroOutsideForegroundd(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.ZeroOutsideForeground`: zeroes ``keys`` (predictions)
    where the image under ``source_key`` has no signal in any channel.

    Args:
        keys: the prediction key(s).
        source_key: the (M, *spatial) image on the predictions' grid.
    """

    def __init__(self, keys: KeysCollection, source_key: str = BatchKey.IMAGE) -> None:
        super().__init__(keys)
        self.source_key = str(source_key)
        self.masker = ZeroOutsideForeground()

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = self.masker(d[key], d[self.source_key])  # type: ignore[arg-type]
        return d


class NormalizeTabulard(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.NormalizeTabular`, one key per tabular modality.

    A key whose value is absent, None or has no value at all is a missing modality: the key is removed, so that
    :class:`FillMissingModalitiesd` marks it missing.

    Args:
        keys: the tabular modality keys.
        stats: ``{key: {"mean": [...], "std": [...]}}`` from the training split (the datalist's
            ``"tabular_stats"``, see :func:`metakd_ext.data.load_tabular_stats`).

    Raises:
        ValueError: a key has no statistics.
    """

    def __init__(self, keys: KeysCollection, stats: Mapping[str, Mapping[str, Sequence[float]]]) -> None:
        super().__init__(keys, allow_missing_keys=True)
        absent = [str(k) for k in self.keys if str(k) not in stats]
        if absent:
            raise ValueError(f"no normalisation statistics for tabular modalities {absent}; rewrite the datalist.")
        self.normalizers = {k: NormalizeTabular(stats[str(k)]["mean"], stats[str(k)]["std"]) for k in self.keys}

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            values = d[key]
            if values is None or all(v is None for v in np.asarray(values, dtype=object).ravel()):
                del d[key]
                continue
            d[key] = self.normalizers[key](values)  # type: ignore[arg-type]
        return d


class FillMissingModalitiesd(MapTransform):
    """Gives every missing modality a zero placeholder of its shape and stores the (M,) availability mask.

    A modality is missing when its key is absent or None (e.g. an image the subject does not have, left out of
    the datalist entry). Apply it after loading and preprocessing, so the placeholders match the real inputs'
    shapes and a batch of subjects collates.

    Args:
        keys: the M modality keys, in mask order.
        shapes: ``{key: shape}`` of each modality's tensor, e.g. ``(1, 48, 56, 48)`` for an image,
            ``(3,)`` for three tabular values.
        mask_key: where the (M,) bool mask goes.
        case_key: key of the subject name, used in messages.

    Raises:
        ValueError: a key has no shape, or a subject has no modality at all.
    """

    def __init__(
        self,
        keys: KeysCollection,
        shapes: Mapping[str, Sequence[int]],
        mask_key: str = BatchKey.MASK,
        case_key: str = BatchKey.SUBJECT,
    ) -> None:
        super().__init__(keys, allow_missing_keys=True)
        absent = [str(k) for k in self.keys if str(k) not in shapes]
        if absent:
            raise ValueError(f"`shapes` lacks modalities {absent}; give the tensor shape of every modality.")
        self.shapes = {k: tuple(int(s) for s in shapes[str(k)]) for k in self.keys}
        self.mask_key = str(mask_key)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        available = [d.get(k) is not None for k in self.keys]
        if not any(available):
            raise ValueError(
                f"{_case_prefix(_case(d, self.case_key))}has none of the modalities {[str(k) for k in self.keys]}; "
                "remove it from the datalist or give it at least one."
            )
        for key, present in zip(self.keys, available):
            if not present:
                d[key] = torch.zeros(self.shapes[key], dtype=torch.float32)
            elif tuple(d[key].shape) != self.shapes[key]:  # type: ignore[attr-defined]
                raise ValueError(
                    f"{_case_prefix(_case(d, self.case_key))}{key} has shape {tuple(d[key].shape)} "  # type: ignore[attr-defined]
                    f"but the config expects {self.shapes[key]}; resample or resize it (image_size)."
                )
        d[self.mask_key] = torch.tensor(available, dtype=torch.bool)
        return d


def _case(d: Mapping[Hashable, object], case_key: str) -> str | None:
    case = d.get(case_key)
    return None if case is None else str(case)


class AudioMFCCd(MapTransform):
    """Dictionary version of :class:`metakd_ext.transforms.AudioMFCC`: each key's wav path becomes its (1, n_mfcc,
    frames) MFCC. An absent or None key is a missing recording and stays absent (:class:`FillMissingModalitiesd`
    marks it).

    Args:
        keys: keys of the wav paths.
        n_mfcc, frames, step, sample_rate: as :class:`~metakd_ext.transforms.AudioMFCC`.
        case_key: key of the sample name, used in messages.
    """

    def __init__(
        self,
        keys: KeysCollection,
        n_mfcc: int = 20,
        frames: int = 20,
        step: int = 3,
        sample_rate: int = 8000,
        case_key: str = BatchKey.SUBJECT,
    ) -> None:
        super().__init__(keys, allow_missing_keys=True)
        self.mfcc = AudioMFCC(n_mfcc, frames, step, sample_rate)
        self.case_key = str(case_key)

    def __call__(self, data: Mapping[Hashable, object]) -> dict[Hashable, object]:
        d = dict(data)
        for key in self.key_iterator(d):
            if d[key] is None:
                del d[key]
                continue
            try:
                d[key] = self.mfcc(d[key])  # type: ignore[arg-type]
            except ValueError as e:
                raise ValueError(f"{_case_prefix(_case(d, self.case_key))}{e}") from None
        return d


LoadModalitiesD = LoadModalitiesDict = LoadModalitiesd
RandDropModalityD = RandDropModalityDict = RandDropModalityd
SetModalitiesD = SetModalitiesDict = SetModalitiesd
InferModalityMaskD = InferModalityMaskDict = InferModalityMaskd
NormalizeModalityIntensityD = NormalizeModalityIntensityDict = NormalizeModalityIntensityd
BratsLabelToRegionsD = BratsLabelToRegionsDict = BratsLabelToRegionsd
RegionsToBratsLabelD = RegionsToBratsLabelDict = RegionsToBratsLabeld
ZeroOutsideForegroundD = ZeroOutsideForegroundDict = ZeroOutsideForegroundd
NormalizeTabularD = NormalizeTabularDict = NormalizeTabulard
FillMissingModalitiesD = FillMissingModalitiesDict = FillMissingModalitiesd
CheckSameGridD = CheckSameGridDict = CheckSameGridd
AudioMFCCD = AudioMFCCDict = AudioMFCCd
