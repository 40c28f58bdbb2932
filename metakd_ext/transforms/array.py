"""Array transforms for multi-modal inputs with missing modalities.

A multi-modal image is a (M, *spatial) array, one channel per modality, with a (M,) bool availability mask.
Missing modalities are all-zero channels.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from typing import cast

import numpy as np
import torch
from monai.config import NdarrayOrTensor, PathLike
from monai.data import MetaTensor
from monai.transforms import LoadImage, Randomizable, Transform
from monai.utils import convert_to_tensor, optional_import

from metakd_ext.utils.availability import apply_modality_mask, infer_modality_mask, subset_mask, subset_name
from metakd_ext.utils.enums import BadImage, look_up

__all__ = [
    "grid_difference",
    "LoadModalities",
    "RandDropModality",
    "SetModalities",
    "InferModalityMask",
    "NormalizeModalityIntensity",
    "BratsLabelToRegions",
    "RegionsToBratsLabel",
    "ZeroOutsideForeground",
    "NormalizeTabular",
    "AudioMFCC",
]

logger = logging.getLogger("metakd")

librosa, has_librosa = optional_import("librosa")


def _case_prefix(case: str | None) -> str:
    return f"case {case}: " if case else ""


def grid_difference(img: MetaTensor, ref: MetaTensor) -> str:
    """How the voxel grid of ``img`` differs from that of ``ref``: empty where they share one (the same spatial shape
    and affines equal within 1e-3), else what differs, e.g. ``"shape (49, 50, 47) against (49, 58, 47)"``.

    The spatial shape is the last ``N`` dimensions of each, ``N`` the dimension of ``ref``'s affine, so a (C, H, W, D)
    label compares with an (M, H, W, D) image and an (H, W, D) modality with another.
    """
    dims = ref.affine.shape[-1] - 1
    shape, ref_shape = tuple(img.shape[-dims:]), tuple(ref.shape[-dims:])
    if shape != ref_shape:
        return f"shape {shape} against {ref_shape}"
    if not torch.allclose(img.affine.double(), ref.affine.double(), atol=1e-3):
        return f"the same shape {shape} but another affine (voxel size, orientation or origin)"
    return ""


class LoadModalities(Transform):
    """Loads one image file per modality into a (M, *spatial) image and builds the availability mask.

    A modality whose path is None or empty, or (with ``allow_missing_files``) whose file does not exist, is
    missing: its channel is zero and its mask entry False. So is an image whose voxels all have one value (all zero,
    or a constant that normalisation would turn into zeros), with a warning. All present files must share one grid.

    Args:
        modality_names: the M modality names, in channel order (used in messages).
        allow_missing_files: treat a path to a file that does not exist as a missing modality instead of an error.
        reader: image reader for :class:`monai.transforms.LoadImage` (default: chosen by file type).
        dtype: output dtype; None keeps the files' own.
        bad_image: a file that cannot be read (damaged, truncated, not an image) or has NaN or infinite voxels is
            an error naming the case and file (``"error"``: training and evaluation, where it would stop the run
            later or make the loss NaN), or a missing modality with a warning (``"missing"``: inference, which then
            predicts the case from its other modalities).

    Example::

        load = LoadModalities(["flair", "t1", "t1ce", "t2"])
        image, mask = load(["c_flair.nii.gz", "c_t1.nii.gz", None, "c_t2.nii.gz"])  # (4, H, W, D), [T, T, F, T]
    """

    def __init__(
        self,
        modality_names: Sequence[str],
        allow_missing_files: bool = False,
        reader: str | None = None,
        dtype: np.dtype | type | None = np.float32,
        bad_image: BadImage | str = BadImage.ERROR,
    ) -> None:
        if len(modality_names) < 1:
            raise ValueError("`modality_names` must name at least one modality.")
        self.modality_names = [str(n) for n in modality_names]
        self.allow_missing_files = allow_missing_files
        self.bad_image = look_up(BadImage, bad_image, "bad_image")
        self.loader = LoadImage(reader=reader, image_only=True, dtype=dtype)

    def __call__(
        self, paths: Sequence[PathLike | None] | PathLike, case: str | None = None
    ) -> tuple[MetaTensor, torch.Tensor]:
        """
        Args:
            paths: M paths in modality order (None or "" for a missing modality), or one path of an M-channel
                image in which a missing modality is an all-zero channel.
            case: case name for error messages and the log; stored in the image metadata as ``"case"``.

        Returns:
            ``(image, mask)``: (M, *spatial) MetaTensor with the first present file's metadata, (M,) bool mask.

        Raises:
            FileNotFoundError: a named file does not exist and ``allow_missing_files`` is False.
            ValueError: a file cannot be read (damaged, truncated, not an image) or has non-finite voxels (with
                ``bad_image="error"``), no modality present, wrong number of paths or channels, or files on
                different grids.
        """
        if isinstance(paths, (str, os.PathLike)):
            image, mask = self._load_stacked(paths, case)
        else:
            image, mask = self._load_files(paths, case)
        name = case or os.path.basename(str(image.meta.get("filename_or_obj", ""))).split(".")[0]
        image.meta["case"] = name
        flags = mask.tolist()
        have = ", ".join(n for n, a in zip(self.modality_names, flags) if a)
        missing = ", ".join(n for n, a in zip(self.modality_names, flags) if not a)
        logger.info(f"case {name}: modalities {have}" + (f"; missing {missing}" if missing else ""))
        return image, mask

    def _load_stacked(self, path: PathLike, case: str | None) -> tuple[MetaTensor, torch.Tensor]:
        prefix = _case_prefix(case)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{prefix}image file {path} does not exist.")
        img = self._read(path, "image", prefix)
        if img is None:
            raise ValueError(f"{prefix}the image file {path} cannot be read; it holds every modality of the case.")
        num = len(self.modality_names)
        if img.ndim == 4 and img.shape[-1] == num and img.shape[0] != num:
            img = cast(MetaTensor, img.permute(3, 0, 1, 2))
        if img.ndim != 4 or img.shape[0] != num:
            raise ValueError(
                f"{prefix}{path} has shape {tuple(img.shape)}; a stacked image needs {num} channels "
                f"({', '.join(self.modality_names)}), with an all-zero channel for a missing modality."
            )
        data = img.as_tensor().contiguous()
        present = InferModalityMask()(data)  # an all-zero channel is how a stacked image says a modality is missing
        mask = torch.tensor(
            [
                bool(p) and not self._unusable(data[m], n, path, prefix)
                for m, (p, n) in enumerate(zip(present, self.modality_names))
            ]
        )
        if not bool(mask.any()):
            raise ValueError(f"{prefix}no channel of {path} holds an image; a case needs at least one modality.")
        data[~mask] = 0
        return MetaTensor(data, meta=dict(img.meta), applied_operations=[]), mask

    def _load_files(self, paths: Sequence[PathLike | None], case: str | None) -> tuple[MetaTensor, torch.Tensor]:
        prefix = _case_prefix(case)
        if len(paths) != len(self.modality_names):
            raise ValueError(f"{prefix}expected {len(self.modality_names)} modality paths, got {len(paths)}.")
        arrays: dict[int, MetaTensor] = {}
        rejected: list[str] = []
        for m, path in enumerate(paths):
            if not path:
                continue
            if not os.path.exists(path):
                if self.allow_missing_files:
                    logger.warning(f"{prefix}{self.modality_names[m]} file {path} does not exist; treated as missing.")
                    continue
                raise FileNotFoundError(
                    f"{prefix}{self.modality_names[m]} file {path} does not exist; fix the datalist, or remove the "
                    "entry to treat the modality as missing."
                )
            img = self._read(path, self.modality_names[m], prefix)
            if img is None:
                rejected.append(f"the {self.modality_names[m]} file {path} cannot be read")
                continue
            if img.ndim == 4 and img.shape[-1] == 1:
                img = cast(MetaTensor, img[..., 0])
            problem = self._unusable(img, self.modality_names[m], path, prefix)
            if problem:
                rejected.append(problem)
            else:
                arrays[m] = img
        if not arrays and rejected:
            raise ValueError(
                f"{prefix}no usable modality image: {'; '.join(rejected)}; a case needs at least one modality."
            )
        if not arrays:
            raise ValueError(
                f"{prefix}no modality image found (expected one of {self.modality_names}, paths {list(paths)}); "
                "a case needs at least one modality."
            )
        first = next(iter(arrays))
        ref = arrays[first]
        for m, img in arrays.items():
            difference = grid_difference(img, ref)
            if difference:
                raise ValueError(
                    f"{prefix}the {self.modality_names[m]} file {paths[m]} and the {self.modality_names[first]} file "
                    f"{paths[first]} are on different grids ({difference}); all modalities of a case must share one "
                    "grid: resample or co-register them onto one first."
                )
        stacked = torch.zeros((len(paths), *ref.shape), dtype=ref.dtype)
        for m, img in arrays.items():
            stacked[m] = img.as_tensor()
        mask = torch.zeros(len(paths), dtype=torch.bool)
        mask[list(arrays)] = True
        return MetaTensor(stacked, meta=dict(ref.meta), applied_operations=[]), mask

    def _read(self, path: PathLike, modality: str, prefix: str) -> MetaTensor | None:
        """Reads one file; one that cannot be read is an error naming the case, the modality and the file, or with
        ``bad_image="missing"`` None and a warning."""
        try:
            return self.loader(path)
        except Exception as e:
            what = f"cannot read the {modality} file {path} ({type(e).__name__}: {e})"
            if self.bad_image == BadImage.MISSING:
                logger.warning(f"{prefix}{what}; {modality} is treated as missing.")
                return None
            raise ValueError(
                f"{prefix}{what}. The file is damaged or truncated (copy it again) or not an image; remove its entry "
                f"to treat {modality} as missing."
            ) from e

    def _unusable(self, img: torch.Tensor, modality: str, path: PathLike, prefix: str) -> str:
        """Why one modality's (*spatial) image does not count as present (logged as a warning), or empty where it
        does: it must be finite and not of one value.

        Raises:
            ValueError: non-finite voxels with ``bad_image="error"``.
        """
        finite = torch.isfinite(img)
        if not bool(finite.all()):
            bad = int((~finite).sum())
            what = f"the {modality} image of {path} has {bad} NaN or infinite voxels of {img.numel()}"
            if self.bad_image == BadImage.ERROR:
                raise ValueError(
                    f"{prefix}{what}; training on it makes the loss NaN. Fix or re-export the file, or remove its "
                    f"entry from the datalist to treat {modality} as missing."
                )
            logger.warning(f"{prefix}{what}; {modality} is treated as missing.")
            return what
        low, high = torch.aminmax(img)
        if bool(low == high):
            what = f"every voxel of the {modality} image of {path} is {float(low):g}"
            logger.warning(f"{prefix}{what}; {modality} is treated as missing (normalisation would make it all zero).")
            return what
        return ""


class RandDropModality(Randomizable, Transform):
    """Draws random missing patterns: per sample, k uniform in 1..n, then a uniform k-subset of its n available
    modalities is kept.

    At least one modality always remains, and a case that is already incomplete only loses modalities it has. This
    is the MetaKD stage-2 sampling (DESIGN.md section 1). It works on masks only, one sample's (M,) or a batch's
    (B, M), and returns the kept modalities in the same shape on the same device; zero the inputs of the dropped
    ones with :func:`~metakd_ext.utils.apply_modality_mask` (the dictionary version does). The draws are made from
    ``self.R`` on the host, with one transfer of the (B, M) mask each way, so a seeded run replays on any device.

    Args:
        prob: probability of dropping at all, per draw; otherwise the mask is returned unchanged.
        per_sample: one pattern per sample of a batch (ours), or one for the whole batch (the authors'): drawn from
            the modalities every sample has and intersected with each sample's mask; a sample left with none keeps
            its own.
        max_kept: keep at most this many modalities (k uniform in 1..min(n, max_kept)); LCKD keeps at most M - 1,
            so that some modality is always missing. None: up to all n.

    Example::

        drop = RandDropModality().set_random_state(seed=0)
        keep = drop(mask)  # mask (B, M) bool -> keep (B, M) bool, keep <= mask
        image = apply_modality_mask(image, keep)
    """

    def __init__(self, prob: float = 1.0, per_sample: bool = True, max_kept: int | None = None) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"`prob` must be in [0, 1], got {prob}.")
        if max_kept is not None and max_kept < 1:
            raise ValueError(f"`max_kept` must be >= 1 or None, got {max_kept}.")
        self.prob = prob
        self.per_sample = per_sample
        self.max_kept = max_kept
        self._keep: np.ndarray | None = None

    def _draw(self, available: np.ndarray) -> np.ndarray:
        """(M,) kept modalities of an (M,) availability."""
        indices = np.flatnonzero(available)
        if indices.size == 0:
            raise ValueError("cannot drop modalities from a sample that has none available.")
        keep = np.array(available, dtype=bool)
        if self.R.random_sample() < self.prob:
            most = indices.size if self.max_kept is None else min(indices.size, self.max_kept)
            k = self.R.randint(1, most + 1)
            keep = np.zeros_like(keep)
            keep[self.R.choice(indices, size=k, replace=False)] = True
        return keep

    def randomize(self, data: np.ndarray) -> None:
        """Draws which modalities to keep. ``data``: (M,) or (B, M) bool availability."""
        mask = np.asarray(data, dtype=bool)
        if mask.ndim == 1:
            self._keep = self._draw(mask)
        elif self.per_sample:
            self._keep = np.stack([self._draw(row) for row in mask]) if len(mask) else mask.copy()
        else:
            common = mask.all(axis=0)
            keep = self._draw(np.asarray(common if common.any() else mask[0]))[None] & mask
            self._keep = np.where(keep.any(axis=1, keepdims=True), keep, mask)

    def __call__(self, mask: NdarrayOrTensor, randomize: bool = True) -> torch.Tensor:
        """
        Args:
            mask: (M,) or (B, M) availability.
            randomize: draw anew; False returns the last draw.

        Returns:
            The kept modalities, bool of the shape of ``mask`` on its device: a non-empty subset of each row.
        """
        mask_t = convert_to_tensor(mask)
        if randomize:
            self.randomize(mask_t.bool().cpu().numpy())
        if self._keep is None:
            raise RuntimeError("`randomize=False` needs an earlier call that drew a subset.")
        if self._keep.shape != tuple(mask_t.shape):
            raise ValueError(f"the last draw has shape {self._keep.shape}, the mask {tuple(mask_t.shape)}.")
        return torch.as_tensor(self._keep).to(mask_t.device, non_blocking=True)


class SetModalities(Transform):
    """Keeps a fixed subset of modalities, zeroing the others (evaluation under a chosen missing pattern).

    Args:
        subset: a subset name such as ``"flair+t1ce"``, or a list of modality names.
        modality_names: all M modality names in channel order.

    Raises:
        ValueError: unknown modality in ``subset``.
    """

    def __init__(self, subset: str | Sequence[str], modality_names: Sequence[str]) -> None:
        self.modality_names = [str(n) for n in modality_names]
        self.keep = subset_mask(subset if isinstance(subset, str) else "+".join(subset), self.modality_names)

    def __call__(
        self, img: NdarrayOrTensor, mask: NdarrayOrTensor | None = None, case: str | None = None
    ) -> tuple[NdarrayOrTensor, torch.Tensor]:
        """
        Args:
            img: (M, *spatial) image.
            mask: (M,) availability; None means all available.
            case: case name for error messages.

        Returns:
            ``(image, mask)`` restricted to the subset.

        Raises:
            ValueError: the sample has none of the subset's modalities.
        """
        keep = self.keep if mask is None else self.keep & convert_to_tensor(mask).bool().cpu()
        if not bool(keep.any()):
            wanted = subset_name(self.keep, self.modality_names)
            raise ValueError(f"{_case_prefix(case)}has none of the modalities {wanted}; choose a subset it has.")
        return apply_modality_mask(img, keep), keep


class InferModalityMask(Transform):
    """The availability mask of a (M, *spatial) image: a channel that is all zero is a missing modality."""

    def __call__(self, img: NdarrayOrTensor) -> torch.Tensor:
        """Returns the (M,) bool mask of ``img`` (M, *spatial)."""
        return infer_modality_mask(convert_to_tensor(img)[None])[0].cpu()


class NormalizeModalityIntensity(Transform):
    """Per-modality z-score over non-zero voxels after clipping outliers to percentiles; background stays 0.

    Args:
        lower: lower clipping percentile of the non-zero voxels (0 keeps the minimum).
        upper: upper clipping percentile of the non-zero voxels (100 keeps the maximum).
    """

    def __init__(self, lower: float = 0.5, upper: float = 99.5) -> None:
        if not 0.0 <= lower < upper <= 100.0:
            raise ValueError(f"percentiles must satisfy 0 <= lower < upper <= 100, got lower={lower}, upper={upper}.")
        self.lower = lower
        self.upper = upper

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """Normalises each channel of ``img`` (M, *spatial); all-zero channels stay zero."""
        out = convert_to_tensor(img, track_meta=isinstance(img, MetaTensor), dtype=torch.float32).clone()
        for c in range(out.shape[0]):
            channel = out[c]
            fg = channel != 0
            if not bool(fg.any()):
                continue
            values = channel[fg]
            q = torch.quantile(
                values[:: max(1, values.numel() // 1_000_000)], torch.tensor([self.lower, self.upper]) / 100
            )
            clipped = values.clamp(float(q[0]), float(q[1]))
            std = clipped.std() if clipped.numel() > 1 else clipped.new_tensor(0.0)
            channel[fg] = (clipped - clipped.mean()) / std.clamp_min(1e-8)
        return out


class BratsLabelToRegions(Transform):
    """BraTS label map to the region channels TC, WT, ET, checking that every value is a BraTS label.

    Labels: 1 NCR/NET, 2 ED, ``et_label`` ET (4 for BraTS 2018-2021, 3 from 2023 on); TC = {1, ET},
    WT = {1, 2, ET}, ET = {ET}. The channel order is that of MONAI's ``ConvertToMultiChannelBasedOnBratsClasses``.

    Args:
        et_label: the value of enhancing tumour.

    Raises:
        ValueError: a voxel has a value that is not 0, 1, 2 or ``et_label``.
    """

    def __init__(self, et_label: int = 4) -> None:
        if et_label in (0, 1, 2):
            raise ValueError(f"`et_label` must differ from 0, 1 and 2, got {et_label}.")
        self.et_label = et_label

    def __call__(self, img: NdarrayOrTensor, case: str | None = None) -> NdarrayOrTensor:
        """
        Args:
            img: (1, *spatial) or (*spatial) label map.
            case: case name for error messages.

        Returns:
            (3, *spatial) region masks, channels TC, WT, ET.
        """
        label = convert_to_tensor(img, track_meta=isinstance(img, MetaTensor))
        label = label[0] if label.ndim == 4 else label
        allowed = torch.tensor([0, 1, 2, self.et_label], device=label.device)
        values = torch.unique(label.as_tensor() if isinstance(label, MetaTensor) else label)
        unknown = values[~torch.isin(values, allowed.to(values.dtype))]
        if unknown.numel():
            source = label.meta.get("filename_or_obj", "") if isinstance(label, MetaTensor) else ""
            raise ValueError(
                f"{_case_prefix(case)}label map {source} has values {[int(v) for v in unknown.tolist()]} that are "
                f"not BraTS labels {{0, 1, 2, {self.et_label}}}; for BraTS 2023+ data set `et_label` to 3, "
                "otherwise fix or remove the label file."
            )
        et = label == self.et_label
        tc = (label == 1) | et
        wt = tc | (label == 2)
        return torch.stack([tc, wt, et]).float()


class RegionsToBratsLabel(Transform):
    """Binary region channels TC, WT, ET back to one BraTS label map: 2 in WT, 1 in TC, ``et_label`` in ET.

    Args:
        et_label: the value written for enhancing tumour (4 for BraTS 2018-2021, 3 from 2023 on).
    """

    def __init__(self, et_label: int = 4) -> None:
        if et_label in (0, 1, 2):
            raise ValueError(f"`et_label` must differ from 0, 1 and 2, got {et_label}.")
        self.et_label = et_label

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """(3, *spatial) binary regions -> (1, *spatial) uint8 label map, keeping the metadata."""
        regions = convert_to_tensor(img, track_meta=isinstance(img, MetaTensor)) > 0.5
        label = torch.zeros_like(regions[:1], dtype=torch.uint8)
        label[regions[1:2]] = 2
        label[regions[0:1]] = 1
        label[regions[2:3]] = self.et_label
        return label


class ZeroOutsideForeground(Transform):
    """Zeroes a prediction wherever the image has no signal in any modality: nothing is labelled outside the head.

    BraTS volumes are skull-stripped, with background exactly 0, which the intensity normalisation keeps at 0; a
    network trained on crops of the head sees background only at a crop's edge, and can label it at inference on
    the whole volume. Apply it on the network's grid, before the prediction goes back to the file's grid.
    """

    def __call__(self, img: NdarrayOrTensor, image: NdarrayOrTensor | None = None) -> NdarrayOrTensor:
        """``img`` (C, *spatial), a prediction, times the foreground of ``image`` (M, *spatial): where any channel
        is non-zero.

        Raises:
            ValueError: no ``image``, or the two on different grids.
        """
        if image is None:
            raise ValueError("`image` is required: the (M, *spatial) image whose foreground keeps the prediction.")
        if tuple(img.shape[1:]) != tuple(image.shape[1:]):
            raise ValueError(
                f"the prediction {tuple(img.shape)} and the image {tuple(image.shape)} must share a grid; mask "
                "before the prediction is inverted to the file's grid."
            )
        foreground = convert_to_tensor(image, track_meta=False).ne(0).any(0, keepdim=True)
        out = convert_to_tensor(img, track_meta=isinstance(img, MetaTensor))
        return out * foreground.to(device=out.device, dtype=out.dtype)


class NormalizeTabular(Transform):
    """Z-scores the values of one tabular modality with given (training-split) statistics; empty cells become 0.

    A missing cell (None or NaN) is imputed with the training mean, i.e. 0 after normalisation.

    Args:
        mean: (n,) means of the values, from the training split only.
        std: (n,) standard deviations; values under 1e-8 count as 1 (a constant column).

    Example::

        norm = NormalizeTabular(mean=[1000.0, 300.0], std=[200.0, 100.0])
        norm([800.0, None])  # tensor([-1., 0.])
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = torch.as_tensor(mean, dtype=torch.float32).flatten()
        self.std = torch.as_tensor(std, dtype=torch.float32).flatten()
        if self.mean.shape != self.std.shape:
            raise ValueError(
                f"`mean` and `std` must have the same length, got {self.mean.numel()} and {self.std.numel()}."
            )
        self.std = torch.where(self.std.abs() < 1e-8, torch.ones_like(self.std), self.std)

    def __call__(self, values: Sequence[float | None] | NdarrayOrTensor) -> torch.Tensor:
        """(n,) values (None or NaN where missing) -> (n,) float32 tensor."""
        raw = torch.tensor([np.nan if v is None else float(v) for v in np.asarray(values, dtype=object).ravel()])
        if raw.numel() != self.mean.numel():
            raise ValueError(f"expected {self.mean.numel()} values, got {raw.numel()}.")
        z = (raw.float() - self.mean) / self.std
        return torch.nan_to_num(z, nan=0.0)


class AudioMFCC(Transform):
    """A spoken-digit recording as SMIL computes it for AV-MNIST: (1, n_mfcc, frames) MFCC of every third sample.

    SMIL (Ma et al., AAAI 2021, ``wav2mfcc``): ``librosa.load(path, sr=None)``, ``wave[::3]``,
    ``librosa.feature.mfcc(sr=8000, n_mfcc=20)``, zero-padded (or cut) to 20 frames. The decimation without a
    low-pass filter and the nominal 8 kHz rate are SMIL's; kept so that the inputs are the paper's. Needs librosa
    (``pip install metakd-monai[avmnist]``).

    Args:
        n_mfcc: number of coefficients.
        frames: frames kept (zero-padded at the end when shorter).
        step: keep every ``step``-th sample.
        sample_rate: the rate librosa is told.

    Example::

        mfcc = AudioMFCC()
        features = mfcc("recordings/3_theo_20.wav")  # (1, 20, 20) float32 tensor
    """

    def __init__(self, n_mfcc: int = 20, frames: int = 20, step: int = 3, sample_rate: int = 8000) -> None:
        if min(n_mfcc, frames, step, sample_rate) < 1:
            raise ValueError("`n_mfcc`, `frames`, `step` and `sample_rate` must be >= 1.")
        self.n_mfcc = n_mfcc
        self.frames = frames
        self.step = step
        self.sample_rate = sample_rate

    def __call__(self, path: PathLike) -> torch.Tensor:
        """A wav file -> (1, n_mfcc, frames) float32 tensor.

        Raises:
            ImportError: librosa is not installed.
            ValueError: the file cannot be read or has no samples (the message names it).
        """
        if not has_librosa:
            raise ImportError("AudioMFCC needs librosa: pip install 'metakd-monai[avmnist]' (or librosa).")
        try:
            signal, _ = librosa.load(os.fspath(path), sr=None, mono=True)
        except Exception as e:  # soundfile, audioread and EOF errors alike: name the file
            raise ValueError(
                f"recording {path} cannot be read ({type(e).__name__}: {e}); replace or remove it."
            ) from None
        signal = np.asfortranarray(signal[:: self.step])
        if signal.size == 0:
            raise ValueError(f"recording {path} has no samples; replace or remove it.")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_fft=.* is too large", category=UserWarning)
            mfcc = librosa.feature.mfcc(y=signal, sr=self.sample_rate, n_mfcc=self.n_mfcc)[:, : self.frames]
        mfcc = np.pad(mfcc, ((0, 0), (0, self.frames - mfcc.shape[1])))
        return torch.as_tensor(mfcc, dtype=torch.float32)[None]
