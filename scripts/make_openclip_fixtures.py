#!/usr/bin/env python3
"""Parity fixtures for open_clip checkpoints, made by open_clip 3.3.0 itself.

Each fixture is a random small CLIP built by `open_clip.model.CLIP` / `CustomTextCLIP`
from a config of the shape the Hub's open_clip releases use, saved as open_clip's
`save_for_hf` saves it (`open_clip_model.safetensors` + `open_clip_config.json` with
`model_cfg` and `preprocess_cfg`; no tokenizer files, so that clip-tui's own CLIP BPE is
used), and what open_clip computes from it: OpenAI's token ids (see below), 8-bit
crops and image embeddings from `open_clip.image_transform` (the eval transform the config
names), text embeddings, logits and per-layer hidden states. The texts and images are the
`tiny-gelu16` fixture's. Images are converted to RGB before the transform, as
torchvision's ImageFolder loader and CLIP_benchmark do.

    python scripts/make_openclip_fixtures.py Tests/CLIPTests/Fixtures

needs torch, torchvision, open-clip-torch==3.3.0, ftfy, regex, safetensors, Pillow.
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

import open_clip
from open_clip.model import CLIP, CustomTextCLIP
from open_clip.transform import image_transform

FIXTURES = {
    # OpenAI-shaped towers (QuickGELU), open_clip's default preprocessing ("shortest",
    # bicubic, OpenAI's mean and std, which save_for_hf writes out).
    "openclip-quickgelu": dict(
        seed=11,
        custom_text=False,
        model_cfg={
            "embed_dim": 24, "quick_gelu": True,
            "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
        },
        preprocess_cfg={"mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD)},
    ),
    # GELU, a text tower under `text.` (CustomTextCLIP, as DFN and MetaCLIP 2 releases),
    # a square resize without a crop and mean/std 0.5.
    "openclip-gelu-squash": dict(
        seed=12,
        custom_text=True,
        model_cfg={
            "embed_dim": 16, "quick_gelu": False, "custom_text": True,
            "vision_cfg": {"image_size": 48, "layers": 2, "width": 48, "head_width": 24, "patch_size": 16, "mlp_ratio": 2.0},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 4, "layers": 1},
        },
        preprocess_cfg={"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "interpolation": "bicubic", "resize_mode": "squash"},
    ),
}


def build(spec):
    torch.manual_seed(spec["seed"])
    cfg = dict(spec["model_cfg"])
    cfg.pop("custom_text", None)
    cls = CustomTextCLIP if spec["custom_text"] else CLIP
    model = cls(**cfg).eval()
    with torch.no_grad():
        # open_clip initialises small; widen the weights so that every layer matters.
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                p.normal_(0, 0.5 / math.sqrt(p.shape[-1]))
            elif "logit_scale" not in name:
                p.normal_(0, 0.2).add_(1.0 if name.endswith("weight") else 0.0)
        model.logit_scale.fill_(math.log(100.0))
        # Stored as fp16 (the embedding table is most of the file); the reference runs the
        # same rounded values in fp32.
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def hidden_states(blocks, first, run):
    """[first] + each block's output, for the first batch row."""
    out = []
    hooks = [b.register_forward_hook(lambda m, i, o: out.append(o.detach().clone())) for b in blocks]
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return [first] + out


def main(root):
    base = os.path.join(root, "tiny-gelu16")
    cases = json.load(open(os.path.join(base, "cases.json"), encoding="utf-8"))
    texts, image_names = cases["texts"], cases["images"]
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=77)
    for name, spec in FIXTURES.items():
        out = os.path.join(root, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.join(out, "model"))
        model = build(spec)
        state = {k: v.half().contiguous() if v.is_floating_point() else v for k, v in model.state_dict().items()}
        save_file(state, os.path.join(out, "model", "open_clip_model.safetensors"))
        json.dump({"model_cfg": spec["model_cfg"], "preprocess_cfg": spec["preprocess_cfg"]},
                  open(os.path.join(out, "model", "open_clip_config.json"), "w"), indent=2)

        pp = spec["preprocess_cfg"]
        size = spec["model_cfg"]["vision_cfg"]["image_size"]
        transform = image_transform(size, is_train=False, mean=pp["mean"], std=pp["std"],
                                    resize_mode=pp.get("resize_mode"), interpolation=pp.get("interpolation"))
        geometric = [t for t in transform.transforms if type(t).__name__ in ("Resize", "CenterCrop")]
        crops, pixels = [], []
        for rel in image_names:
            img = Image.open(os.path.join(base, rel)).convert("RGB")
            crop = img
            for t in geometric:
                crop = t(crop)
            crops.append(np.asarray(crop, dtype=np.uint8))
            pixels.append(transform(img))
        pix = torch.stack(pixels)
        # OpenAI's token ids (tiny-gelu16's), zero-padded as open_clip pads. open_clip's own
        # tokenizer differs from OpenAI's on one kind of text: it splits a literal
        # "<|startoftext|>" or "<|endoftext|>" as text, where OpenAI's maps it to the special
        # token; clip-tui follows OpenAI. Those texts are listed in cases.json.
        token_ids = cases["token_ids"]
        ids = torch.zeros((len(token_ids), 77), dtype=torch.long)
        for i, t in enumerate(token_ids):
            ids[i, :len(t)] = torch.tensor(t)
        own = tokenizer(texts)
        differs = [texts[i] for i, row in enumerate(own) if [int(x) for x in row[: int((row != 0).sum())]] != token_ids[i]]

        tower = model.text if spec["custom_text"] else model
        with torch.no_grad():
            img_emb = model.encode_image(pix)
            txt_emb = model.encode_text(ids)
            logits = model.logit_scale.exp() * (img_emb / img_emb.norm(dim=-1, keepdim=True)) @ (
                txt_emb / txt_emb.norm(dim=-1, keepdim=True)).T
            v = model.visual
            x = v.conv1(pix[:1]).flatten(2).transpose(1, 2)
            x = torch.cat([v.class_embedding.view(1, 1, -1).expand(1, 1, -1), x], dim=1) + v.positional_embedding
            x = v.ln_pre(x)
            vstates = hidden_states(v.transformer.resblocks, x[0], lambda: model.encode_image(pix[:1]))
            vstates = [vstates[0]] + [s[0] for s in vstates[1:]]
            n = len(token_ids[0])
            t0 = tower.token_embedding(ids[:1]) + tower.positional_embedding
            tstates = hidden_states(tower.transformer.resblocks, t0[0], lambda: model.encode_text(ids[:1]))
            tstates = [tstates[0][:n]] + [s[0, :n] for s in tstates[1:]]
        tensors = {
            "crops_uint8": torch.tensor(np.stack(crops)).contiguous(),
            "image_embeds": img_emb.contiguous(),
            "text_embeds": txt_emb.contiguous(),
            "logits_per_image": logits.contiguous(),
            "vision_hidden_states_image0": torch.stack(vstates).contiguous(),
            "text_hidden_states_text0": torch.stack(tstates).contiguous(),
        }
        save_file(tensors, os.path.join(out, "expected.safetensors"))
        shutil.copytree(os.path.join(base, "images"), os.path.join(out, "images"))
        json.dump({
            "reference": f"open_clip {open_clip.__version__} ({type(model).__name__}, PyTorch fp32, CPU); open_clip's "
                         "SimpleTokenizer; open_clip.image_transform(is_train=False) after convert('RGB')",
            "script": "scripts/make_openclip_fixtures.py", "seed": spec["seed"],
            "texts": texts, "token_ids": token_ids, "images": image_names,
            "open_clip_tokenizer_differs_on": differs,
            "expected": {k: list(t.shape) for k, t in tensors.items()},
        }, open(os.path.join(out, "cases.json"), "w"), indent=1, ensure_ascii=False)
        print(f"{name}: {len(texts)} texts, {len(image_names)} images -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/CLIPTests/Fixtures")
