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


@pytest.mark.parametrize("bundle", ["metakd_brats", "metakd_adni", "metakd_avmnist"])
@pytest.mark.parametrize(
    "method, handler",
    [("metakd", "ModalityWeightsHandler"), ("uniform", "ModalityWeightsHandler"), ("lckd", "TeacherElectionHandler")],
)
def test_the_method_replaces_the_weights_handler_by_name(bundle: str, method: str, handler: str) -> None:
    configs = BUNDLES / bundle / "configs"
    parser = ConfigParser()
    parser.read_config([str(configs / "train.json"), str(configs / f"{method}.json")])
    handlers = parser["train#handlers"]
    assert handlers.count("@train#weights_handler") == 1
    targets = [h["_target_"] for h in handlers if isinstance(h, dict)]
    assert len(targets) == len(handlers) - 1 and not any("Weights" in t or "Teacher" in t for t in targets)
    assert parser["train#weights_handler#_target_"] == f"metakd_ext.handlers.{handler}"
