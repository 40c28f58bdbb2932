"""Datalists for BraTS folders: the 2018-2021 and 2023+ layouts, incomplete cases, seeded or external splits."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from metakd_ext.data.datalist import DATALIST_SECTIONS, read_split_file, split_cases
from metakd_ext.utils.enums import BatchKey
from metakd_ext.utils.io import atomic_write_text

__all__ = [
    "BRATS_MODALITIES",
    "BRATS_LAYOUTS",
    "brats_case_files",
    "find_brats_cases",
    "find_inference_inputs",
    "write_brats_datalist",
]

logger = logging.getLogger("metakd")

BRATS_MODALITIES = ("flair", "t1", "t1ce", "t2")
"""Modality order of the BraTS bundle."""

BRATS_LAYOUTS: dict[str, dict[str, str]] = {
    "2018": {"sep": "_", "flair": "flair", "t1": "t1", "t1ce": "t1ce", "t2": "t2", "label": "seg"},
    "2023": {"sep": "-", "flair": "t2f", "t1": "t1n", "t1ce": "t1c", "t2": "t2w", "label": "seg"},
}
"""File suffixes per layout: ``<case>/<case>_{flair,t1,t1ce,t2,seg}.nii.gz`` (2018-2021, HGG/LGG sub-folders
allowed) and ``<case>/<case>-{t2f,t1n,t1c,t2w,seg}.nii.gz`` (2023 on)."""

_EXTENSIONS = (".nii.gz", ".nii")


def brats_case_files(case_dir: str | os.PathLike) -> tuple[str, dict[str, Path]] | None:
    """The layout (``"2018"`` or ``"2023"``) and the files (modality or ``"label"`` -> path) of one case folder,
    or None if the folder is no BraTS case."""
    case_dir = Path(case_dir)
    name = case_dir.name
    present = {p.name.lower(): p for p in case_dir.iterdir() if p.is_file()}  # .NII.GZ as well as .nii.gz
    for layout, spec in BRATS_LAYOUTS.items():
        files = {}
        for key in (*BRATS_MODALITIES, "label"):
            for ext in _EXTENSIONS:
                path = present.get(f"{name}{spec['sep']}{spec[key]}{ext}".lower())
                if path is not None:
                    files[key] = path
                    break
        if files:
            return layout, files
    return None


def _scan_case_folders(root: Path, max_depth: int) -> tuple[dict[str, dict], list[tuple[str, str]]]:
    """(case name -> entry with paths relative to ``root``, (case name, message) of each case folder that cannot be
    used)."""
    entries: dict[str, dict] = {}
    problems: list[tuple[str, str]] = []
    pending = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        found = brats_case_files(folder) if folder != root else None
        if found is not None:
            layout, files = found
            if not any(k in files for k in BRATS_MODALITIES):
                problems.append(
                    (
                        folder.name,
                        f"case {folder.name} ({folder}) has a label but no modality file; expected files named "
                        f"{folder.name}{BRATS_LAYOUTS[layout]['sep']}<modality>.nii.gz. Add them or remove the folder.",
                    )
                )
            elif folder.name in entries:
                problems.append(
                    (
                        folder.name,
                        f"case name {folder.name} occurs twice below {root} ({folder}); names must be unique.",
                    )
                )
            else:
                entries[folder.name] = {"case": folder.name, **{k: os.path.relpath(p, root) for k, p in files.items()}}
            continue
        if depth < max_depth:
            pending.extend((p, depth + 1) for p in sorted(folder.iterdir()) if p.is_dir())
    return entries, problems


def find_brats_cases(data_dir: str | os.PathLike, max_depth: int = 3) -> list[dict]:
    """Finds the BraTS cases below ``data_dir`` (case folders up to ``max_depth`` levels down).

    Args:
        data_dir: the data set root, e.g. ``MICCAI_BraTS_2018_Data_Training`` (with HGG/LGG inside) or a folder
            of case folders.
        max_depth: how deep to look for case folders.

    Returns:
        One entry per case, sorted by name: ``{"case": name, "flair": path, ..., "label": path}`` with paths
        relative to ``data_dir``; a missing modality or label has no key.

    Raises:
        FileNotFoundError: ``data_dir`` does not exist.
        ValueError: no case found, a case has a label but no modality, or two cases share a name.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist.")
    entries, problems = _scan_case_folders(root, max_depth)
    if problems:
        raise ValueError(problems[0][1])
    if not entries:
        raise ValueError(
            f"no BraTS cases found in {root}: expected case folders <case>/<case>_flair.nii.gz ... (BraTS 2018-2021, "
            "HGG/LGG sub-folders allowed) or <case>/<case>-t2f.nii.gz ... (BraTS 2023+). For demo data run "
            "`python -m metakd_ext demo brats --output_dir DIR`."
        )
    cases = [entries[k] for k in sorted(entries)]
    for entry in cases:
        missing = [m for m in BRATS_MODALITIES if m not in entry]
        if missing:
            logger.info(f"case {entry['case']}: missing modalities {', '.join(missing)}.")
    return cases


def write_brats_datalist(
    data_dir: str | os.PathLike,
    output: str | os.PathLike,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    num_meta: int = 5,
    seed: int = 0,
    train_split: str | None = None,
    val_split: str | None = None,
    meta_split: str | None = None,
    test_split: str | None = None,
) -> dict:
    """Writes a datalist JSON for a BraTS folder and returns it.

    The file has the sections ``training``, ``validation``, ``meta_validation`` and ``testing``, paths relative to
    ``data_dir`` (the bundle's ``dataset_dir``), and ``modalities``. Without split files the labelled cases are
    split by :func:`split_cases` (the held-out labelled cases go to ``testing``) and the cases without a label are
    added to ``testing`` (to predict, not to score); with split files (one case name a line) each given file
    defines its section and the rest of the labelled cases train.

    Args:
        data_dir: the data set root (2018-2021 or 2023+ layout; HGG/LGG sub-folders; missing files allowed); paths
            in the datalist are relative to it (the bundle's dataset_dir).
        output: the datalist JSON to write.
        val_fraction: fraction of labelled cases for validation, which chooses the checkpoint (seeded split).
        test_fraction: fraction of labelled cases held out for testing, which the evaluation scores (seeded split).
        num_meta: number of labelled cases held out for meta-validation (seeded split).
        seed: seed of the split.
        train_split: optional file of training case names, one a line.
        val_split: optional file of validation case names.
        meta_split: optional file of meta-validation case names.
        test_split: optional file of test case names.

    Raises:
        ValueError: a split file names a case that is not in ``data_dir``, or a case is in two split files.
    """
    cases = find_brats_cases(data_dir)
    by_name = {c["case"]: c for c in cases}
    split_files = {
        "training": train_split,
        "validation": val_split,
        "meta_validation": meta_split,
        "testing": test_split,
    }
    sections: dict[str, list[str]] = {}
    if any(split_files.values()):
        seen: dict[str, str] = {}
        for section, split in split_files.items():
            if not split:
                continue
            names = read_split_file(split)
            for name in names:
                if name not in by_name:
                    raise ValueError(f"split file {split} names case {name!r}, which is not in {data_dir}.")
                if name in seen:
                    raise ValueError(f"case {name!r} is in both {seen[name]} and {split}; a case belongs to one split.")
                seen[name] = split
            sections[section] = names
        if not train_split:
            sections["training"] = [c["case"] for c in cases if c["case"] not in seen and "label" in c]
    else:
        labelled = [c["case"] for c in cases if "label" in c]
        if labelled:
            sections = split_cases(labelled, val_fraction, test_fraction, num_meta, seed)
        sections["testing"] = sorted(sections.get("testing", []) + [c["case"] for c in cases if "label" not in c])
    for section in ("training", "validation", "meta_validation"):
        unlabelled = [n for n in sections.get(section, []) if "label" not in by_name[n]]
        if unlabelled:
            raise ValueError(f"cases {unlabelled} have no label file but are in the {section} split; they need one.")
    datalist = {
        "description": f"BraTS datalist of {Path(data_dir).resolve()}; paths are relative to it",
        "modalities": list(BRATS_MODALITIES),
        **{s: [by_name[n] for n in sections.get(s, [])] for s in DATALIST_SECTIONS},
    }
    atomic_write_text(output, json.dumps(datalist, indent=2) + "\n")
    counts = ", ".join(f"{s} {len(datalist[s])}" for s in DATALIST_SECTIONS)
    logger.info(f"wrote {output}: {counts}.")
    return datalist


def _nifti_stem(path: Path) -> str | None:
    """The name of a NIfTI file without its extension (``.nii.gz``, ``.nii``, in any case), else None."""
    lower = path.name.lower()
    for ext in _EXTENSIONS:
        if lower.endswith(ext) and len(lower) > len(ext):
            return path.name[: -len(ext)]
    return None


def find_inference_inputs(
    input_dir: str | os.PathLike, output_dir: str | os.PathLike | None = None, output_postfix: str = "seg"
) -> list[dict]:
    """Cases to predict in a folder: BraTS case folders (any modality files may be absent) and one M-channel NIfTI
    per case (``<case>.nii.gz``, a missing modality as an all-zero channel), both kinds in one folder if need be.
    Extensions are matched in any case (``.NII.GZ``).

    Args:
        input_dir: the folder.
        output_dir: where the predictions go; where it is ``input_dir`` itself, the files it writes
            (``<case>_<output_postfix>.nii.gz``) are not taken for inputs, so that a second run does not predict the
            first one's outputs.
        output_postfix: the postfix of the prediction files.

    Returns:
        Entries with absolute paths, sorted by case name: ``{"case", <modality>: path, ...}`` or
        ``{"case", "image": path}``. A case folder that cannot be used (a label without modality files, a name
        twice) gives ``{"case", "unusable": why}``, which inference skips and lists (with a warning now).

    Raises:
        FileNotFoundError: ``input_dir`` does not exist.
        ValueError: there is no usable case (the message lists the folders' problems), or a case folder and a NIfTI
            file have the same case name (their predictions would be one file).
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"input folder {root} does not exist.")
    own_outputs = output_dir is not None and Path(output_dir).resolve() == root.resolve()
    files: dict[str, Path] = {}
    left_out = []
    for path in sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        stem = _nifti_stem(path)
        if stem is None:
            continue
        if own_outputs and stem.endswith(f"_{output_postfix}"):
            left_out.append(path.name)
        else:
            files[stem] = path
    if left_out:
        logger.info(f"{root}: {len(left_out)} file(s) *_{output_postfix}.nii.gz left out, this run's outputs.")
    entries, problems = _scan_case_folders(root, max_depth=3)
    for _, problem in problems:
        logger.warning(f"skipped: {problem}")
    if not entries and not files:
        found = f" The case folders found cannot be used: {' '.join(p for _, p in problems)}" if problems else ""
        raise ValueError(
            f"nothing to predict in {root}: expected BraTS case folders (<case>/<case>_flair.nii.gz ...) or 4-channel "
            f"NIfTI files (<case>.nii.gz).{found}"
        )
    clash = sorted(set(entries) & set(files))
    if clash:
        raise ValueError(
            f"case {clash[0]} is in {root} twice, as a case folder and as the NIfTI file {files[clash[0]].name}; "
            "their predictions would be one file. Rename or move one of them."
        )
    keys = (*BRATS_MODALITIES, "label")
    cases = [{k: (str((root / v).resolve()) if k in keys else v) for k, v in entries[k].items()} for k in entries]
    cases += [{"case": stem, "image": str(path.resolve())} for stem, path in files.items()]
    cases += [{"case": name, str(BatchKey.UNUSABLE): problem} for name, problem in problems]
    return sorted(cases, key=lambda c: c["case"])
