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
def test_lckd_replaces_the_weights_handler_and_only_it(bundle: str) -> None:
    """lckd.json overrides ``train#handlers#<i>`` by index (MONAI's ``check_properties`` needs every handler
    to be an inline dict, so a reference by name is not possible): the index must point at train.json's
    ModalityWeightsHandler, or adding a handler would silently replace another one."""
    configs = BUNDLES / bundle / "configs"
    base = ConfigParser()
    base.read_config(str(configs / "train.json"))
    lckd = ConfigParser.load_config_file(str(configs / "lckd.json"))
    overrides = [k for k in lckd if k.startswith("train#handlers#")]
    assert len(overrides) == 1
    index = int(overrides[0].rsplit("#", 1)[1])
    handlers = base["train#handlers"]
    assert all(isinstance(h, dict) for h in handlers)
    assert handlers[index]["_target_"] == "metakd_ext.handlers.ModalityWeightsHandler"
    assert lckd[overrides[0]]["_target_"] == "metakd_ext.handlers.TeacherElectionHandler"
