"""Each bundle's ``inference.json`` stands alone (the model zoo and MONAI Label load it without ``train.json``), and
what it shares with ``train.json`` is ``train.json``'s: the network and every key it uses, the batch preparation
and, for the classifiers, the validation preprocessing. MONAI's ``%file#key`` macro reads a path relative to the
working directory, so the shared definitions are copies; this test keeps them equal."""

from __future__ import annotations

import json
import re

import pytest
from monai.bundle import ConfigParser

from .conftest import BUNDLES

SHARED = {
    "metakd_brats": ["network_def"],
    "metakd_adni": ["network_def", "prepare_batch", "preprocessing"],
    "metakd_avmnist": ["network_def", "prepare_batch", "preprocessing"],
}
"""Top-level ids of ``inference.json`` that must equal ``train.json``'s, with every key they reference."""
TRAIN_ID = {"preprocessing": "validate#preprocessing"}
"""Where ``train.json`` defines an id that ``inference.json`` names otherwise."""
OWN = {"bundle_root", "dataset_dir", "datalist", "ckpt_dir", "output_dir", "device", "num_workers", "batch_size"}
"""Referenced keys whose values an inference run sets for itself."""


def _references(config: object) -> set[str]:
    """The top-level ids that ``@id`` references in a config entry name."""
    return {r.split("#")[0] for r in re.findall(r"@([A-Za-z_]\w*(?:#\w+)*)", json.dumps(config))}


def _get(config: dict, id_: str) -> object:
    for part in id_.split("#"):
        config = config[part]
    return config


@pytest.mark.parametrize("bundle", sorted(SHARED))
def test_inference_config_shares_train_configs_definitions(bundle: str) -> None:
    configs = BUNDLES / bundle / "configs"
    train = json.loads((configs / "train.json").read_text())
    inference = json.loads((configs / "inference.json").read_text())
    todo, seen = list(SHARED[bundle]), set()
    while todo:
        id_ = todo.pop()
        if id_ in seen:
            continue
        seen.add(id_)
        assert id_ in inference, f"{bundle}: inference.json does not define {id_!r}"
        if id_ not in OWN:
            assert inference[id_] == _get(train, TRAIN_ID.get(id_, id_)), f"{bundle}: {id_!r} differs from train.json"
        todo += sorted(_references(inference[id_]) - seen)
    assert seen >= set(SHARED[bundle])


@pytest.mark.parametrize("bundle", sorted(SHARED))
def test_inference_config_alone_builds_the_network(bundle: str, tmp_path) -> None:
    parser = ConfigParser()
    parser.read_config(str(BUNDLES / bundle / "configs" / "inference.json"))
    parser.update({"bundle_root": str(tmp_path), "device": "$torch.device('cpu')"})
    train = ConfigParser()
    train.read_config(str(BUNDLES / bundle / "configs" / "train.json"))
    train.update({"device": "$torch.device('cpu')"})
    ours, theirs = parser.get_parsed_content("network_def"), train.get_parsed_content("network_def")
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_authors_config_gives_one_network_for_training_and_inference(tmp_path) -> None:
    """``authors.json`` merged after ``train.json`` or ``inference.json`` builds the same network: the authors'
    topology (the decoder reads the finest scale and the bottleneck), not the default U-Net (every scale)."""
    configs = BUNDLES / "metakd_brats" / "configs"

    def parsed(*names: str) -> ConfigParser:
        parser = ConfigParser()
        parser.read_config([str(configs / n) for n in names])
        parser.update({"bundle_root": str(tmp_path), "device": "$torch.device('cpu')"})
        return parser

    def network(*names: str):
        return parsed(*names).get_parsed_content("network_def")

    def layout(net) -> tuple:
        fills = {k: f.fill for k, f in net.fusions.items()}
        return net.read_scales, fills, {k: v.shape for k, v in net.state_dict().items()}

    authors = network("train.json", "authors.json")
    assert layout(authors) == layout(network("inference.json", "authors.json"))
    assert authors.read_scales == [0, len(authors.channels) - 1]
    assert network("train.json").read_scales == list(range(len(authors.channels)))
    assert parsed("train.json", "authors.json").get_parsed_content("kd_loss").normalize
