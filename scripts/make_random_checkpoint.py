#!/usr/bin/env python3
"""A Hugging Face CLIP checkpoint folder of ViT-B/32's shapes with random weights (numpy
only; no torch): what the speed goals at real size are measured on when the real weights
are not at hand. The tokenizer files are the demo model's (the real CLIP BPE vocabulary).

  python3 scripts/make_random_checkpoint.py OUT [--seed 0] [--preset ViT-B/32|ViT-B/16]

Weights are float16 (as the demo model; 300 MB), normal with std 0.02 (transformers'
initializer_range), layer-norm gains 1 and biases 0, logit scale ln 100.
"""
import argparse, json, os, shutil, struct
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Models", "clip-demo")


def shapes(text_d, text_layers, text_ff, vision_d, vision_layers, vision_ff, patch, proj, image=224, context=77, vocab=49408):
    out = {"logit_scale": []}
    def layers(prefix, d, n, ff):
        for i in range(n):
            p = f"{prefix}.encoder.layers.{i}."
            for ln in ("layer_norm1", "layer_norm2"):
                out[p + ln + ".weight"] = [d]; out[p + ln + ".bias"] = [d]
            for proj_name in ("q_proj", "k_proj", "v_proj", "out_proj"):
                out[p + f"self_attn.{proj_name}.weight"] = [d, d]; out[p + f"self_attn.{proj_name}.bias"] = [d]
            out[p + "mlp.fc1.weight"] = [ff, d]; out[p + "mlp.fc1.bias"] = [ff]
            out[p + "mlp.fc2.weight"] = [d, ff]; out[p + "mlp.fc2.bias"] = [d]
    out["text_model.embeddings.token_embedding.weight"] = [vocab, text_d]
    out["text_model.embeddings.position_embedding.weight"] = [context, text_d]
    layers("text_model", text_d, text_layers, text_ff)
    out["text_model.final_layer_norm.weight"] = [text_d]; out["text_model.final_layer_norm.bias"] = [text_d]
    out["text_projection.weight"] = [proj, text_d]
    out["vision_model.embeddings.class_embedding"] = [vision_d]
    out["vision_model.embeddings.patch_embedding.weight"] = [vision_d, 3, patch, patch]
    out["vision_model.embeddings.position_embedding.weight"] = [(image // patch) ** 2 + 1, vision_d]
    out["vision_model.pre_layrnorm.weight"] = [vision_d]; out["vision_model.pre_layrnorm.bias"] = [vision_d]
    layers("vision_model", vision_d, vision_layers, vision_ff)
    out["vision_model.post_layernorm.weight"] = [vision_d]; out["vision_model.post_layernorm.bias"] = [vision_d]
    out["visual_projection.weight"] = [proj, vision_d]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", default="ViT-B/32", choices=["ViT-B/32", "ViT-B/16"])
    a = ap.parse_args()
    patch = 32 if a.preset == "ViT-B/32" else 16
    table = shapes(512, 12, 2048, 768, 12, 3072, patch, 512)
    rng = np.random.default_rng(a.seed)
    header, blobs, offset = {}, [], 0
    for key in sorted(table):
        shape = table[key]
        n = int(np.prod(shape)) if shape else 1
        if key == "logit_scale":
            v = np.full(n, np.log(100.0))
        elif key.endswith(".bias"):
            v = np.zeros(n)
        elif "norm" in key or "layrnorm" in key:
            v = np.ones(n)
        else:
            v = rng.standard_normal(n) * 0.02
        b = v.astype("<f2").tobytes()
        header[key] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw))); f.write(raw)
        for b in blobs: f.write(b)
    config = json.load(open(os.path.join(DEMO, "config.json")))
    config["projection_dim"] = 512
    config["text_config"].update(hidden_size=512, intermediate_size=2048, num_attention_heads=8, num_hidden_layers=12)
    config["vision_config"].update(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, patch_size=patch)
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    for name in ("vocab.json", "merges.txt", "preprocessor_config.json"):
        shutil.copy(os.path.join(DEMO, name), os.path.join(a.out, name))
    print(f"{a.out}: random {a.preset} (seed {a.seed}), {offset / 1e6:.0f} MB of float16 weights")


if __name__ == "__main__":
    main()
