from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor

from metakd_ext.engines import PrepareModalityBatch


def test_stacked_image_label_and_mask() -> None:
    image = MetaTensor(torch.rand(2, 4, 4, 4, 4))
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool()
    batch = {"image": image, "label": torch.zeros(2, 3, 4, 4, 4), "modality_mask": mask, "case": ["a", "b"]}
    inputs, label, args, kwargs = PrepareModalityBatch()(batch, "cpu")
    assert isinstance(inputs, MetaTensor) and label.shape == (2, 3, 4, 4, 4) and args == ()
    assert list(kwargs) == ["modality_mask"] and torch.equal(kwargs["modality_mask"], mask)


def test_no_mask_in_the_batch_infers_it_and_an_unloaded_label_is_none() -> None:
    image = torch.rand(1, 4, 4, 4, 4)
    image[:, 1] = 0
    inputs, label, _, kwargs = PrepareModalityBatch()({"image": image, "label": ["seg.nii.gz"]}, "cpu")
    assert label is None and kwargs["modality_mask"].tolist() == [[True, False, True, True]]


def test_the_mask_is_checked_where_it_enters() -> None:
    batch = {"image": torch.rand(2, 4, 4, 4, 4), "case": ["a", "b"]}
    with pytest.raises(ValueError, match="cases b have no available modality"):
        PrepareModalityBatch()({**batch, "modality_mask": torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0]]).bool()})
    with pytest.raises(ValueError, match=r"`modality_mask` must have shape \(B, M\) = \(2, 4\)"):
        PrepareModalityBatch()({**batch, "modality_mask": torch.ones(2, 3, dtype=torch.bool)})
    with pytest.raises(KeyError, match=r"batch lacks input keys \['image'\]"):
        PrepareModalityBatch()({"case": ["a"]})
