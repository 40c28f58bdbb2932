from __future__ import annotations

from .adni_datalist import (
    ADNI_IMAGE_COLUMNS,
    ADNI_LABELS,
    ADNI_TABULAR_COLUMNS,
    load_tabular_stats,
    read_subject_table,
    stratified_split,
    tabular_stats,
    write_subject_datalist,
)
from .avmnist_datalist import (
    AVMNIST_CLASS_NAMES,
    AVMNIST_SPEAKERS,
    FSDD_SPEAKERS,
    fsdd_recordings,
    read_idx,
    read_mnist,
    write_avmnist_datalist,
)
from .brats_datalist import (
    BRATS_LAYOUTS,
    BRATS_MODALITIES,
    brats_case_files,
    find_brats_cases,
    find_inference_inputs,
    write_brats_datalist,
)
from .datalist import (
    DATALIST_SECTIONS,
    SECTION_BIAS,
    check_split_arguments,
    cross_validation_datalists,
    evaluation_split,
    load_datalist,
    load_inference_datalist,
    read_split_file,
    split_cases,
)
from .demo_adni import make_adni_demo, simulate_subject
from .demo_brats import TISSUE_CONTRAST, make_brats_case, make_brats_demo
from .phantom import load_mni_anatomy, random_affine_deform, rician_noise, smooth_noise
from .stack import stack_brats_case
from .usable_cases import SkippedCase, SkipUnusableDataset, collate_usable
from .writers import AtomicNibabelWriter, case_name_formatter

__all__ = [
    "ADNI_IMAGE_COLUMNS",
    "ADNI_LABELS",
    "ADNI_TABULAR_COLUMNS",
    "AVMNIST_CLASS_NAMES",
    "AVMNIST_SPEAKERS",
    "FSDD_SPEAKERS",
    "AtomicNibabelWriter",
    "BRATS_LAYOUTS",
    "BRATS_MODALITIES",
    "DATALIST_SECTIONS",
    "SECTION_BIAS",
    "SkipUnusableDataset",
    "SkippedCase",
    "TISSUE_CONTRAST",
    "brats_case_files",
    "case_name_formatter",
    "check_split_arguments",
    "collate_usable",
    "cross_validation_datalists",
    "evaluation_split",
    "find_brats_cases",
    "find_inference_inputs",
    "fsdd_recordings",
    "load_datalist",
    "load_inference_datalist",
    "load_mni_anatomy",
    "load_tabular_stats",
    "make_adni_demo",
    "make_brats_case",
    "make_brats_demo",
    "random_affine_deform",
    "read_idx",
    "read_mnist",
    "read_split_file",
    "read_subject_table",
    "rician_noise",
    "simulate_subject",
    "smooth_noise",
    "split_cases",
    "stack_brats_case",
    "stratified_split",
    "tabular_stats",
    "write_avmnist_datalist",
    "write_brats_datalist",
    "write_subject_datalist",
]
