"""The method configs change the distillation alone, in both bundles, whatever config comes before them."""

from __future__ import annotations

import pytest
from monai.bundle import ConfigParser

from .conftest import BUNDLES


@pytest.mark.parametrize("bundle", ["metakd_brats", "metakd_adni", "metakd_avmnist"])
@pytest.mark.parametrize("method", ["nokd", "uniform", "lckd"])
def test_no_meta_step_in_any_stage(bundle: str, method: str) -> None:
    configs = BUNDLES / bundle / "configs"
    bases = [str(p) for p in (configs / "train.json", configs / "demo.json") if p.is_file()]
    parser = ConfigParser()
    parser.read_config([*bases, str(configs / f"{method}.json")])
    assert parser["meta_interval"] == 0 and parser["meta_warmup_interval"] == 0  # where demo.json sets both
    assert (parser["kd_weight"] == 0.0) == (method == "nokd")
    base = ConfigParser()
    base.read_config(bases)
    changed = {k for k in parser.config if parser.config[k] != base.config.get(k)}  # type: ignore[union-attr]
    allowed = {
        "method",
        "meta_interval",
        "meta_warmup_interval",
        "kd_weight",
        "weight_learner",
        "meta_optimizer",
        "lckd",
    }
    allowed |= {"initial_teacher", "teacher_election_interval", "teacher_vote", "teacher_students", "train"}
    assert {k for k in changed if not k.startswith("_desc")} <= allowed
