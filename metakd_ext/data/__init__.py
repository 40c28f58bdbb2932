from __future__ import annotations

from .adni_datalist import (
    ADNI_LABELS,
    load_tabular_stats,
    read_subject_table,
    stratified_split,
    tabular_stats,
    write_subject_datalist,
)
from .brats_datalist import (
    BRATS_LAYOUTS,
    BRATS_MODALITIES,
    DATALIST_SECTIONS,
    SECTION_BIAS,
    brats_case_files,
    check_split_arguments,
    evaluation_split,
    find_brats_cases,
    find_inference_inputs,
    load_datalist,
    read_split_file,
    split_cases,
    write_brats_datalist,
)
from .demo_adni import ADNI_IMAGE_COLUMNS, ADNI_TABULAR_COLUMNS, make_adni_demo, simulate_subject
from .demo_brats import (
    TISSUE_CONTRAST,
    load_mni_anatomy,
    make_brats_case,
    make_brats_demo,
    random_affine_deform,
    rician_noise,
    smooth_noise,
)
from .io import atomic_write, atomic_write_text, csv_text, save_nifti
from .stack import stack_brats_case
from .writers import AtomicNibabelWriter, case_name_formatter

__all__ = [
    "ADNI_IMAGE_COLUMNS",
    "ADNI_LABELS",
    "ADNI_TABULAR_COLUMNS",
    "csv_text",
    "load_tabular_stats",
    "make_adni_demo",
    "random_affine_deform",
    "rician_noise",
    "read_subject_table",
    "save_nifti",
    "simulate_subject",
    "smooth_noise",
    "stratified_split",
    "tabular_stats",
    "write_subject_datalist",
    "AtomicNibabelWriter",
    "case_name_formatter",
    "find_inference_inputs",
    "BRATS_LAYOUTS",
    "BRATS_MODALITIES",
    "DATALIST_SECTIONS",
    "SECTION_BIAS",
    "check_split_arguments",
    "evaluation_split",
    "TISSUE_CONTRAST",
    "atomic_write",
    "brats_case_files",
    "atomic_write_text",
    "find_brats_cases",
    "load_datalist",
    "load_mni_anatomy",
    "make_brats_case",
    "make_brats_demo",
    "read_split_file",
    "split_cases",
    "stack_brats_case",
    "write_brats_datalist",
]
