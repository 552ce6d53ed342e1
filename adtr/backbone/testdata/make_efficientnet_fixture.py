#!/usr/bin/python3
"""Builds the tiny EfficientNet numerical fixture for adtr/backbone.

Run with Debian's interpreter (it has python3-torch and python3-torchvision):

    cd adtr/backbone/testdata && /usr/bin/python3 make_efficientnet_fixture.py

It writes two safetensors files next to this script:

  efficientnet_tiny.safetensors            weights, timm tensor names, PyTorch layout
  efficientnet_tiny_reference.safetensors  input [1,3,64,64] NCHW, five stride taps, pooled

The network is torchvision's EfficientNet (timm's non-"tf_" architecture: symmetric
padding (k-1)/2, SiLU, SE from the block input channels) with B0's block recipe scaled by
width 0.25 and depth 0.5. BatchNorm eps is 1e-5 (torchvision's default for B0-B4, and timm's
default for efficientnet_*; only timm's tf_efficientnet_* use 1e-3). Before exporting, the
script recomputes every channel count, repeat count and SE width with timm's rules
(round_channels / make_divisible with divisor 8 and round limit 0.9, ceil depth scaling,
SE rd = round(mid_chs * 0.25 / exp_ratio)) and asserts that torchvision's model agrees.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

SEED = 0
WIDTH = 0.25
DEPTH = 0.5
EPS = 1e-5
IMAGE = 64
HERE = os.path.dirname(os.path.abspath(__file__))

# B0 recipe: (block type, expansion, kernel, stride, out channels, repeats), timm's arch_def.
B0_STAGES = [
    ("ds", 1, 3, 1, 16, 1),
    ("ir", 6, 3, 2, 24, 2),
    ("ir", 6, 5, 2, 40, 2),
    ("ir", 6, 3, 2, 80, 3),
    ("ir", 6, 5, 1, 112, 3),
    ("ir", 6, 5, 2, 192, 4),
    ("ir", 6, 3, 1, 320, 1),
]
# Stages whose last block is the last one at strides 2, 4, 8, 16, 32.
TAP_STAGES = [0, 1, 2, 4, 6]


def make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    """timm.layers.make_divisible."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def timm_plan():
    """The tiny variant's layout computed with timm's EfficientNet rules."""
    rc = lambda c: make_divisible(c * WIDTH)
    stem = rc(32)
    plan, cin = [], stem
    for kind, exp, k, s, cout, n in B0_STAGES:
        cout = rc(cout)
        reps = int(math.ceil(n * DEPTH))
        blocks = []
        for j in range(reps):
            stride = s if j == 0 else 1
            mid = cin if kind == "ds" else make_divisible(cin * exp)
            se = round(mid * 0.25 / exp)
            blocks.append(dict(kind=kind, cin=cin, mid=mid, cout=cout, k=k, stride=stride, se=se,
                               skip=stride == 1 and cin == cout))
            cin = cout
        plan.append(blocks)
    return stem, plan, rc(1280)


def check_against_torchvision(model, stem, plan, head):
    """Asserts that torchvision's tiny model has exactly the timm layout."""
    f = model.features
    assert f[0][0].out_channels == stem, (f[0][0].out_channels, stem)
    for s, blocks in enumerate(plan):
        stage = f[1 + s]
        assert len(stage) == len(blocks), (s, len(stage), len(blocks))
        for j, b in enumerate(blocks):
            layers = list(stage[j].block)
            if b["kind"] == "ds":
                dw, se, pw = layers
            else:
                ex, dw, se, pw = layers
                assert ex[0].in_channels == b["cin"] and ex[0].out_channels == b["mid"], (s, j)
            conv_dw = dw[0]
            assert conv_dw.in_channels == b["mid"] and conv_dw.groups == b["mid"], (s, j)
            assert conv_dw.kernel_size == (b["k"], b["k"]) and conv_dw.stride == (b["stride"],) * 2, (s, j)
            assert conv_dw.padding == ((b["k"] - 1) // 2,) * 2, (s, j)
            assert se.fc1.out_channels == b["se"], (s, j, se.fc1.out_channels, b["se"])
            assert pw[0].out_channels == b["cout"], (s, j)
            assert stage[j].use_res_connect == b["skip"], (s, j)
    assert f[-1][0].out_channels == head, (f[-1][0].out_channels, head)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert m.eps == EPS, m.eps


def timm_names(model, plan):
    """Maps torchvision parameter/buffer names to timm names."""
    names = {"features.0.0.weight": "conv_stem.weight"}
    bn = ["weight", "bias", "running_mean", "running_var"]
    for p in bn:
        names[f"features.0.1.{p}"] = f"bn1.{p}"
    last = len(model.features) - 1
    names[f"features.{last}.0.weight"] = "conv_head.weight"
    for p in bn:
        names[f"features.{last}.1.{p}"] = f"bn2.{p}"
    for s, blocks in enumerate(plan):
        for j, b in enumerate(blocks):
            tv, tm = f"features.{1 + s}.{j}.block", f"blocks.{s}.{j}"
            if b["kind"] == "ds":
                convs = [(0, "conv_dw", "bn1"), (2, "conv_pw", "bn2")]
                se = 1
            else:
                convs = [(0, "conv_pw", "bn1"), (1, "conv_dw", "bn2"), (3, "conv_pwl", "bn3")]
                se = 2
            for i, conv, norm in convs:
                names[f"{tv}.{i}.0.weight"] = f"{tm}.{conv}.weight"
                for p in bn:
                    names[f"{tv}.{i}.1.{p}"] = f"{tm}.{norm}.{p}"
            for fc, nm in (("fc1", "conv_reduce"), ("fc2", "conv_expand")):
                for p in ("weight", "bias"):
                    names[f"{tv}.{se}.{fc}.{p}"] = f"{tm}.se.{nm}.{p}"
    return names


def timm_forward(w, plan, x):
    """Re-runs the network from the timm-named tensors alone (checks the renaming)."""
    F = torch.nn.functional

    def bn(h, name, act):
        h = F.batch_norm(h, w[name + ".running_mean"], w[name + ".running_var"],
                         w[name + ".weight"], w[name + ".bias"], False, 0.0, EPS)
        return F.silu(h) if act else h

    def se(h, name):
        s = h.mean(dim=(2, 3), keepdim=True)
        s = F.silu(F.conv2d(s, w[name + ".conv_reduce.weight"], w[name + ".conv_reduce.bias"]))
        return h * torch.sigmoid(F.conv2d(s, w[name + ".conv_expand.weight"], w[name + ".conv_expand.bias"]))

    h = bn(F.conv2d(x, w["conv_stem.weight"], stride=2, padding=1), "bn1", True)
    taps = []
    for s, blocks in enumerate(plan):
        for j, b in enumerate(blocks):
            n, inp = f"blocks.{s}.{j}", h
            dw = dict(stride=b["stride"], padding=(b["k"] - 1) // 2, groups=b["mid"])
            if b["kind"] == "ds":
                h = bn(F.conv2d(h, w[n + ".conv_dw.weight"], **dw), n + ".bn1", True)
                h = se(h, n + ".se")
                h = bn(F.conv2d(h, w[n + ".conv_pw.weight"]), n + ".bn2", False)
            else:
                h = bn(F.conv2d(h, w[n + ".conv_pw.weight"]), n + ".bn1", True)
                h = bn(F.conv2d(h, w[n + ".conv_dw.weight"], **dw), n + ".bn2", True)
                h = se(h, n + ".se")
                h = bn(F.conv2d(h, w[n + ".conv_pwl.weight"]), n + ".bn3", False)
            if b["skip"]:
                h = h + inp
        if s in TAP_STAGES:
            taps.append(h)
    pooled = bn(F.conv2d(h, w["conv_head.weight"]), "bn2", True).mean(dim=(2, 3))
    return taps, pooled


def randomise(model):
    """Seeded non-trivial parameters: BN is not identity, SE biases are not zero."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.normal_(0.0, 0.2)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
                m.running_mean.normal_(0.0, 0.2)
                m.running_var.uniform_(0.5, 2.0)


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer (F32 only), header padded with spaces to 8 bytes."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    torch.manual_seed(SEED)
    stem, plan, head = timm_plan()
    setting, last_channel = _efficientnet_conf("efficientnet_b0", width_mult=WIDTH, depth_mult=DEPTH)
    model = EfficientNet(setting, dropout=0.0, last_channel=last_channel)
    check_against_torchvision(model, stem, plan, head)
    randomise(model)
    model.eval()

    names = timm_names(model, plan)
    state = {k: v for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked") and not k.startswith("classifier.")}
    assert set(state) == set(names), sorted(set(state) ^ set(names))
    weights = {names[k]: v for k, v in state.items()}

    x = torch.randn(1, 3, IMAGE, IMAGE)
    taps, h = [], x
    with torch.no_grad():
        h = model.features[0](h)
        for s in range(len(plan)):
            h = model.features[1 + s](h)
            if s in TAP_STAGES:
                taps.append(h.clone())
        pooled = model.features[-1](h).mean(dim=(2, 3))
    channels = [t.shape[1] for t in taps]
    strides = [IMAGE // t.shape[2] for t in taps]
    assert strides == [2, 4, 8, 16, 32], strides
    with torch.no_grad():
        taps2, pooled2 = timm_forward(weights, plan, x)
    for a, b in zip(taps + [pooled], taps2 + [pooled2]):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5), (a - b).abs().max()

    meta = {
        "description": "tiny EfficientNet (B0 recipe, width 0.25, depth 0.5), seeded random weights, timm names",
        "arch": "efficientnet_b0 recipe, timm non-tf variant (symmetric padding)",
        "width_multiplier": str(WIDTH),
        "depth_multiplier": str(DEPTH),
        "bn_eps": str(EPS),
        "seed": str(SEED),
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "generator": "adtr/backbone/testdata/make_efficientnet_fixture.py",
        "stem_channels": str(stem),
        "head_channels": str(head),
        "stage_out_channels": json.dumps([b[0]["cout"] for b in plan]),
        "stage_repeats": json.dumps([len(b) for b in plan]),
    }
    write_safetensors(os.path.join(HERE, "efficientnet_tiny.safetensors"), weights, meta)

    ref = {"input": x, "pooled": pooled}
    for s, t in zip(strides, taps):
        ref[f"stride{s}"] = t
    ref_meta = {
        "description": "tiny EfficientNet reference: input NCHW, stride taps NCHW (last block of the "
                       "stages at strides 2,4,8,16,32), pooled = mean_hw(SiLU(bn2(conv_head(stride32))))",
        "weights": "efficientnet_tiny.safetensors",
        "tap_stages": json.dumps(TAP_STAGES),
        "channels": json.dumps(channels),
        "strides": json.dumps(strides),
        "seed": str(SEED),
        "input_seed_note": "input = torch.randn(1,3,64,64) drawn right after the weights, same generator",
        "torch_version": torch.__version__,
    }
    write_safetensors(os.path.join(HERE, "efficientnet_tiny_reference.safetensors"), ref, ref_meta)

    print("stem", stem, "head", head)
    for s, blocks in enumerate(plan):
        for j, b in enumerate(blocks):
            print(f"blocks.{s}.{j}", b)
    print("taps", list(zip(strides, channels)), "pooled", tuple(pooled.shape))
    print("weights", len(weights), "tensors", sum(v.numel() for v in weights.values()), "values")
    for k in sorted(ref):
        t = ref[k]
        print(k, tuple(t.shape), "mean %.5f std %.5f absmax %.5f" % (t.mean(), t.std(), t.abs().max()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
