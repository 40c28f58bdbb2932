from __future__ import annotations

from .brats_datalist import (
    BRATS_LAYOUTS,
    BRATS_MODALITIES,
    brats_case_files,
    find_brats_cases,
    find_inference_inputs,
    load_datalist,
    read_split_file,
    split_cases,
    write_brats_datalist,
)
from .demo_brats import TISSUE_CONTRAST, load_mni_anatomy, make_brats_case, make_brats_demo
from .io import atomic_write, atomic_write_text
from .stack import stack_brats_case
from .writers import AtomicNibabelWriter, case_name_formatter

__all__ = [
    "AtomicNibabelWriter",
    "case_name_formatter",
    "find_inference_inputs",
    "BRATS_LAYOUTS",
    "BRATS_MODALITIES",
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
