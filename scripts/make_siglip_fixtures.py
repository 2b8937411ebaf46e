#!/usr/bin/env python3
"""Parity fixtures for SigLIP and SigLIP 2 checkpoints, made by transformers itself.

Two random small `SiglipModel`s saved as the Hub's `google/siglip-*` and
`google/siglip2-*` (fixed resolution) repositories are saved, each with a tokenizer
trained by the `sentencepiece` package on a small corpus:

- `siglip-tiny`: SigLIP's tokenizer, a unigram `spiece.model` (T5's special ids: <pad> 0,
  </s> 1, <unk> 2) read by transformers' `SiglipTokenizer` (lower case, punctuation
  removed, white space collapsed, `</s>` appended, padded with `</s>` to 64);
- `siglip-tiny-p14`: SigLIP's tokenizer, and 46-pixel images in 14-pixel patches (3 × 3,
  the last 4 pixels unused, as so400m/14 at 384 pixels leaves 6);
- `siglip2-tiny`: SigLIP 2's, a Gemma-style BPE model with byte fallback (<pad> 0, <eos> 1,
  <bos> 2, <unk> 3, no dummy prefix), converted by transformers to `tokenizer.json`,
  with the Hub's `tokenizer_config.json` (GemmaTokenizer, no <bos>, <eos> appended,
  `do_lower_case`); reference ids from transformers' `Siglip2Tokenizer`, which applies the
  lower case that `do_lower_case` asks for (transformers' `GemmaTokenizer` ignores it).

And what transformers computes from them: token ids (padded to 64), 8-bit resized images
and image embeddings through `SiglipImageProcessorPil` (a square bicubic resize without a
crop, mean and std 0.5), text embeddings, logits (`logit_scale.exp()·cos + logit_bias`)
and per-layer hidden states. The text tower runs on the 64 padded tokens without an
attention mask, as SigLIP was trained (big_vision) and as transformers 4 fed it. The
images are the `tiny-gelu16` fixture's; the texts are its texts, a few canonicalisation
cases, and 1,000 generated texts of `make_tokenizer_differential.py`'s kinds for the
tokenizers alone (`differential_texts`, `differential_ids`).

    python scripts/make_siglip_fixtures.py Tests/CLIPTests/Fixtures

needs torch, transformers (5.x), sentencepiece, protobuf, safetensors, Pillow.
"""
import io
import json
import math
import os
import random
import shutil
import sys

import numpy as np
import sentencepiece as spm
import torch
from PIL import Image
from safetensors.torch import save_file

from transformers import SiglipConfig, SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tokenizer_differential as differential  # noqa: E402

EXTRA_TEXTS = [
    "a photo of a {}.", "a photo of a {}", "A Photo, of a {}!", "  a   photo\tof a {}  ", "a ▁photo of ▁ a cat",
    "</s> a cat", "a cat </s>", "a <unk> cat", "<eos>cat", "an úber-café; naïve résumé", "ＡＢＣ ｶﾀｶﾅ ﬁ",
    "word " * 80,
]


def corpus(rng):
    words = ("a photo of the cat dog red circle blue square aeroplane traffic light golden retriever blurry "
             "sculpture itap bright dark close up small large good bad cropped rendering drawing painting "
             "origami toy plastic sketch tattoo embroidered pixelated jpeg corrupted black white").split()
    lines = []
    for _ in range(3000):
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))))
    for i in range(1500):
        lines.append(differential.text(rng, ["latin", "greek", "cyrillic", "cjk", "emoji", "plain"][i % 6]))
    return lines


def train(lines, prefix, **kwargs):
    path = prefix + ".txt"
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, minloglevel=2, **kwargs)
    os.remove(path)
    return prefix + ".model"


def widen(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        # Random init is small; widen the weights so that every layer matters.
        for name, p in model.named_parameters():
            if name in ("logit_scale", "logit_bias"):
                continue
            if p.ndim >= 2:
                p.normal_(0, 0.5 / math.sqrt(p.shape[-1]))
            else:
                p.normal_(0, 0.2).add_(1.0 if name.endswith("weight") else 0.0)
        model.logit_scale.fill_(math.log(10.0))
        model.logit_bias.fill_(-10.0)
        # Stored as fp16; the reference runs the same rounded values in fp32.
        for p in model.parameters():
            p.copy_(p.half().float())


def hidden_states(blocks, first, run):
    out = []
    hooks = [b.register_forward_hook(lambda m, i, o: out.append((o[0] if isinstance(o, tuple) else o).detach().clone()))
             for b in blocks]
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return [first] + out


TINY = dict(text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, projection_size=48),
            vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=3,
                        image_size=48, patch_size=16), vocab=None, half=True)
# An image side that is not a multiple of the patch (46 = 3·14 + 4), as so400m/14 at 384
# pixels (27·14 + 6): the convolution's "valid" padding leaves the last pixels out.
ODD = dict(TINY, vision=dict(TINY["vision"], image_size=46, patch_size=14))
# google/siglip-base-patch16-224's shapes (fp32 on the Hub), for a check at full size (not committed: 800 MB).
B16 = dict(text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                     projection_size=768),
           vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                       image_size=224, patch_size=16), vocab=32000, half=False)


def make(root, name, tokenizer_kind, seed, texts, images, gen_texts, shapes=TINY, tokenizer_fixture=True):
    rng = random.Random(seed)
    out = os.path.join(root, name)
    shutil.rmtree(out, ignore_errors=True)
    folder = os.path.join(out, "model")
    os.makedirs(folder)
    work = os.path.join(out, "spm")
    lines = corpus(rng)
    if tokenizer_kind == "siglip":
        model_file = train(lines, work, model_type="unigram", vocab_size=600, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                           normalization_rule_name="nmt_nfkc", character_coverage=0.9995)
        shutil.move(model_file, os.path.join(folder, "spiece.model"))
        os.remove(work + ".vocab")
        tok = SiglipTokenizer(vocab_file=os.path.join(folder, "spiece.model"))
        tok.save_pretrained(folder)
        encode = lambda t: tok(t, padding="max_length", max_length=64, truncation=True)["input_ids"]
        vocab = tok.vocab_size
    else:
        from transformers.models.siglip2.tokenization_siglip2 import Siglip2Tokenizer
        from transformers.models.gemma.tokenization_gemma import GemmaTokenizer  # converts tokenizer.model
        model_file = train(lines, work, model_type="bpe", vocab_size=700, pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
                           byte_fallback=True, add_dummy_prefix=False, remove_extra_whitespaces=False,
                           normalization_rule_name="identity", split_digits=True, allow_whitespace_only_pieces=True,
                           user_defined_symbols=["<mask>", "<start_of_turn>", "<end_of_turn>"], character_coverage=0.9995)
        shutil.move(model_file, os.path.join(folder, "tokenizer.model"))
        os.remove(work + ".vocab")

        json.dump({"tokenizer_class": "GemmaTokenizer", "add_bos_token": False, "add_eos_token": True,
                   "do_lower_case": True, "padding_side": "right", "model_max_length": 64,
                   "pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"},
                  open(os.path.join(folder, "tokenizer_config.json"), "w"), indent=2)
        # transformers converts the SentencePiece model to tokenizer.json (as the Hub's files were made).
        GemmaTokenizer.from_pretrained(folder).save_pretrained(folder)
        # save_pretrained drops the flags the Hub's SigLIP 2 files carry, and adds local paths.
        config_path = os.path.join(folder, "tokenizer_config.json")
        saved = json.load(open(config_path))
        for key in ("vocab_file", "is_local", "local_files_only"):
            saved.pop(key, None)
        saved.update(add_bos_token=False, add_eos_token=True)
        json.dump(saved, open(config_path, "w"), indent=2, sort_keys=True)
        tok = Siglip2Tokenizer.from_pretrained(folder, add_bos_token=False, add_eos_token=True)
        encode = lambda t: tok(t, padding="max_length", max_length=64, truncation=True)["input_ids"]
        vocab = len(tok)

    size = shapes["vision"]["image_size"]
    config = SiglipConfig(
        text_config=dict(vocab_size=shapes["vocab"] or vocab, max_position_embeddings=64,
                         pad_token_id=1 if tokenizer_kind == "siglip" else 0, **shapes["text"]),
        vision_config=dict(shapes["vision"]),
    )
    model = SiglipModel(config).eval()
    widen(model, seed)
    model.save_pretrained(folder, safe_serialization=True)
    if shapes["half"]:
        # fp16 weights, as the Hub's SigLIP checkpoints are stored in half or full precision.
        from safetensors.torch import load_file
        weights = load_file(os.path.join(folder, "model.safetensors"))
        save_file({k: v.half().contiguous() for k, v in weights.items()}, os.path.join(folder, "model.safetensors"),
                  metadata={"format": "pt"})
    processor = SiglipImageProcessorPil(size={"height": size, "width": size}, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    processor.save_pretrained(folder)

    ids = [encode(t) for t in texts]
    crops, pixels = [], []
    for path in images:
        img = Image.open(path).convert("RGB")
        crops.append(np.asarray(img.resize((size, size), Image.BICUBIC), dtype=np.uint8))
        pixels.append(processor(img, return_tensors="pt")["pixel_values"][0])
    pix = torch.stack(pixels)
    input_ids = torch.tensor(ids)
    with torch.no_grad():
        out_all = model(input_ids=input_ids, pixel_values=pix)
        img_emb, txt_emb = out_all.image_embeds, out_all.text_embeds  # normalised
        raw_img = model.get_image_features(pixel_values=pix).pooler_output
        raw_txt = model.get_text_features(input_ids=input_ids).pooler_output
        assert torch.allclose(raw_img / raw_img.norm(dim=-1, keepdim=True), img_emb, atol=1e-6)
        v = model.vision_model
        vstates = hidden_states(v.encoder.layers, v.embeddings(pix[:1])[0],
                                lambda: model.get_image_features(pixel_values=pix[:1]))
        vstates = [vstates[0]] + [s[0] for s in vstates[1:]]
        t = model.text_model
        tstates = hidden_states(t.encoder.layers, t.embeddings(input_ids[:1])[0],
                                lambda: model.get_text_features(input_ids=input_ids[:1]))
        tstates = [tstates[0]] + [s[0] for s in tstates[1:]]
    tensors = {
        "crops_uint8": torch.tensor(np.stack(crops)),
        "pixel_values": pix.contiguous(),
        "image_embeds": raw_img.contiguous(),
        "text_embeds": raw_txt.contiguous(),
        "logits_per_image": out_all.logits_per_image.contiguous(),
        "vision_hidden_states_image0": torch.stack(vstates).contiguous(),
        "text_hidden_states_text0": torch.stack(tstates).contiguous(),
    }
    save_file(tensors, os.path.join(out, "expected.safetensors"))
    os.makedirs(os.path.join(out, "images"))
    names = []
    for path in images:
        shutil.copy(path, os.path.join(out, "images", os.path.basename(path)))
        names.append("images/" + os.path.basename(path))
    json.dump({
        "reference": f"transformers {__import__('transformers').__version__} SiglipModel (PyTorch fp32, CPU), "
                     f"{type(tok).__name__}, SiglipImageProcessorPil; no attention mask",
        "script": "scripts/make_siglip_fixtures.py", "seed": seed,
        "logit_scale": float(model.logit_scale.exp()), "logit_bias": float(model.logit_bias),
        "texts": texts, "token_ids": ids, "images": names,
    }, open(os.path.join(out, "cases.json"), "w", encoding="utf-8"), ensure_ascii=True, indent=0)
    print(f"{name}: vocab {vocab}, {len(texts)} texts, {len(images)} images")
    if not tokenizer_fixture:
        return
    # The tokenizer alone, beside the Tokenization tests: its files and every text's ids
    # (padding removed: the tokenizer does not pad, the text encoder does).
    pad = tok.pad_token_id
    tok_dir = os.path.join(root, "..", "..", "TokenizationTests", "Fixtures", "sentencepiece", name)
    shutil.rmtree(tok_dir, ignore_errors=True)
    os.makedirs(tok_dir)
    for f in ("spiece.model", "tokenizer.model", "tokenizer_config.json"):
        if os.path.exists(os.path.join(folder, f)):
            shutil.copy(os.path.join(folder, f), tok_dir)
    def unpadded(text):  # the attention mask says where the padding starts
        enc = tok(text, padding="max_length", max_length=64, truncation=True)
        return enc["input_ids"][:sum(enc["attention_mask"])]
    all_texts = texts + gen_texts
    json.dump({"reference": f"transformers {__import__('transformers').__version__} {type(tok).__name__}, "
                            "padding='max_length', max_length=64, truncation=True; padding removed",
               "script": "scripts/make_siglip_fixtures.py", "pad_id": pad,
               "cases": [{"text": t, "ids": unpadded(t)} for t in all_texts]},
              open(os.path.join(tok_dir, "cases.json"), "w", encoding="utf-8"), ensure_ascii=True, indent=0)
    print(f"{name}: tokenizer fixture with {len(all_texts)} texts")


def main(root, b16=None):
    base = os.path.join(root, "tiny-gelu16")
    cases = json.load(open(os.path.join(base, "cases.json"), encoding="utf-8"))
    texts = cases["texts"] + EXTRA_TEXTS
    images = [os.path.join(base, rel) for rel in cases["images"]]
    rng = random.Random(64)
    kinds = list(differential.SCRIPTS) + ["emoji", "combining", "entity", "ftfy", "whitespace", "contraction", "mojibake"]
    gen = [differential.text(rng, kinds[i % len(kinds)]) for i in range(1000)]
    if b16:
        make(b16, "siglip-b16", "siglip", 23, texts, images, gen, shapes=B16, tokenizer_fixture=False)
        return
    make(root, "siglip-tiny", "siglip", 21, texts, images, gen)
    make(root, "siglip2-tiny", "gemma", 22, texts, images, gen)
    make(root, "siglip-tiny-p14", "siglip", 24, texts, images, gen, shapes=ODD, tokenizer_fixture=False)


if __name__ == "__main__":
    # make_siglip_fixtures.py Tests/CLIPTests/Fixtures [--b16 DIR]: with --b16, only a
    # B/16-shaped fixture in DIR/siglip-b16 (for CLIP_TUI_EXTRA_SIGLIP_FIXTURES).
    main(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--b16" else None)
