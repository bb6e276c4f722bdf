"""hosila.models: every model built by hosila.nn matches its PyTorch twin (same builder with
nn=torch.nn): same state_dict keys and shapes, and the same outputs with the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.models import MODELS, get_model

CASES = [
    ("mlp", 3, 32),
    ("twolayer", 3, 32),
    ("convnet3", 3, 32),
    ("lenet5", 3, 32),
    ("lenet5", 1, 28),
    ("vgg_bn", 3, 32),
    ("smallcnn", 1, 8),
    ("convnet3", 1, 8),
]


@pytest.mark.parametrize("name,channels,size", CASES)
def test_matches_the_pytorch_twin(name, channels, size):
    hosila.manual_seed(0)
    torch.manual_seed(0)
    ours = get_model(name, channels, 7, size)
    theirs = get_model(name, channels, 7, size, nn=torch.nn)
    sd_t = theirs.state_dict()
    sd_o = ours.state_dict()
    assert list(sd_o) == list(sd_t)
    for key in sd_t:
        assert tuple(sd_o[key].shape) == tuple(sd_t[key].shape), key
    # same weights (and batch-norm buffers) -> same outputs, in training and eval mode
    ours.load_state_dict({k: hosila.tensor(v.numpy()) for k, v in sd_t.items()})
    x = np.random.default_rng(1).standard_normal((3, channels, size, size)).astype(np.float32)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        got = ours(hosila.tensor(x)).data
        with torch.no_grad():
            want = theirs(torch.from_numpy(x)).numpy()
        assert got.shape == (3, 7)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_registry_and_errors():
    assert set(MODELS) == {"mlp", "twolayer", "convnet3", "lenet5", "vgg_bn", "smallcnn"}
    assert isinstance(get_model("twolayer", hidden=16), nn.Module)
    assert get_model("twolayer", hidden=16, nn=torch.nn)[1].out_features == 16
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        get_model("resnet")
    with pytest.raises(ValueError, match="too small"):
        get_model("lenet5", 1, 10, 8)
    with pytest.raises(ValueError, match="num_classes"):
        get_model("convnet3", 3, 0)
    with pytest.raises(TypeError, match="image_size"):
        get_model("mlp", 3, 10, "big")
