from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser

from metakd_ext.engines import MetaKDTrainer
from metakd_ext.networks import ModalityTeachers, ModalityWeightLearner

ROOT = Path(__file__).resolve().parents[2]
SCREEN = ROOT / "benchmarks" / "kd_screen.py"


def _module():
    spec = importlib.util.spec_from_file_location("kd_screen", SCREEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_becomes_a_config_the_bundle_parses(tmp_path: Path) -> None:
    screen = _module()
    assert len(screen.SETTINGS) == 8
    root = screen.write_screen_bundle(ROOT / "bundles" / "metakd_brats", tmp_path, screen.SETTINGS)
    for name, scales, normalize, pairs in [
        ("mkd_bott_plain_pairs", [3], False, "all"),
        ("mkd_all_norm_weaker", [0, 1, 2, 3], True, "to_weaker"),
    ]:
        parser = ConfigParser()
        parser.read_config([str(root / "configs" / n) for n in ("train.json", "demo.json", f"{name}.json")])
        parser.update({"device": "cpu"})
        assert parser.get_parsed_content("network_def").kd_scales == scales
        loss = parser.get_parsed_content("kd_loss")
        assert (loss.normalize, loss.pairs) == (normalize, pairs)
    with pytest.raises(ValueError, match="setting 'mkd_all_norm' is not one of"):
        screen.setting_config("mkd_all_norm")


def test_the_baselines_take_the_same_distillation_keys(tmp_path: Path) -> None:
    screen = _module()
    settings = ["uni_bott_norm_pairs", "lckd_all_norm_pairs"]
    root = screen.write_screen_bundle(ROOT / "bundles" / "metakd_brats", tmp_path, settings)
    for name, scales, learner in [
        ("uni_bott_norm_pairs", [3], ModalityWeightLearner),
        ("lckd_all_norm_pairs", [0, 1, 2, 3], ModalityTeachers),
    ]:
        parser = ConfigParser()
        parser.read_config([str(root / "configs" / n) for n in ("train.json", "demo.json", f"{name}.json")])
        parser.update({"device": "cpu"})
        assert parser["method"] == name and parser["meta_interval"] == 0
        assert parser.get_parsed_content("network_def").kd_scales == scales
        assert type(parser.get_parsed_content("weight_learner")) is learner
        loss = parser.get_parsed_content("kd_loss")
        assert (loss.normalize, loss.pairs) == (True, "all")
    for name in ("uni_bott_norm_weaker", "lckd_bott_plain_weaker"):
        with pytest.raises(ValueError, match=f"setting '{name}' is not one of"):
            screen.setting_config(name)


def test_rnd_is_metakd_with_its_weights_fixed_at_the_seeds_start(tmp_path: Path) -> None:
    screen = _module()
    root = screen.write_screen_bundle(ROOT / "bundles" / "metakd_brats", tmp_path, ["rnd_bott_norm_weaker"])
    for name in ("metakd.json", "rnd_bott_norm_weaker.json"):
        parser = ConfigParser()
        parser.read_config([str(root / "configs" / n) for n in ("train.json", "demo.json", name)])
        parser.update({"device": "cpu"})
        meta = (parser["meta_interval"], parser["meta_warmup_interval"])
        assert (meta == (0, 0)) == name.startswith("rnd")
        learner = parser.get_parsed_content("weight_learner")
        assert type(learner) is ModalityWeightLearner  # logits drawn from U[0, 1), not uniform.json's zeros
        assert not torch.allclose(learner.logits, torch.zeros_like(learner.logits))
        net = torch.nn.Linear(1, 1)  # the trainer checks its distillation arguments when it is built
        MetaKDTrainer(
            device="cpu",
            max_epochs=1,
            train_data_loader=[0],
            network=net,
            optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
            loss_function=torch.nn.L1Loss(),
            weight_learner=learner,
            meta_data_loader=[0],
            kd_loss=parser.get_parsed_content("kd_loss"),
            meta_interval=parser["meta_interval"],
            meta_warmup_interval=parser["meta_warmup_interval"],
        )
    assert parser.get_parsed_content("kd_loss").pairs == "to_weaker"


def test_unknown_setting_stops_before_any_run(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCREEN), "--dataset_dir", str(tmp_path), "--output_dir", str(tmp_path / "o")]
        + ["--settings", "['mkd_skips_norm_pairs']"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0 and "is not one of" in out.stderr and not (tmp_path / "o").exists()
