#!/usr/bin/env python3
"""clip-tui's SigLIP towers beside transformers' SiglipModel, in the same run, as ratios.

  python3 scripts/bench_siglip_vs_transformers.py [--rounds 3] [--threads 1] [--images 8]

Runs `clip-tui bench --random SigLIP-B/16` and a transformers `SiglipModel` with random
weights of the same shapes (google/siglip-base-patch16-224: both towers 768 wide, 12
layers, 224 pixels, patch 16, 64 text positions) in alternation: `--images` images, and
32 prompts padded to 64 tokens (SigLIP's text tower always runs the full context, so the
ids do not change the cost). Prints the medians and the ratios the README quotes. Needs a
Python with torch and transformers.
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_bench(threads, images, prompts, repeats):
    import torch
    from transformers import SiglipConfig, SiglipModel
    torch.set_num_threads(threads)
    config = SiglipConfig(
        text_config=dict(vocab_size=32000, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                         num_attention_heads=12, max_position_embeddings=64),
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=224, patch_size=16))
    torch.manual_seed(0)
    model = SiglipModel(config).eval()
    pixels = torch.rand(images, 3, 224, 224) * 2 - 1
    ids = torch.randint(2, 32000, (prompts, 64))

    def median(fn):
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return sorted(times)[len(times) // 2]

    with torch.inference_mode():
        img = median(lambda: model.get_image_features(pixel_values=pixels))
        txt = median(lambda: model.get_text_features(input_ids=ids))
    return {"image_ms_per_image": img * 1000 / images, "text_ms_per_prompt": txt * 1000 / prompts}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "clip-tui"))
    a = ap.parse_args()
    ours, theirs = [], []
    for r in range(a.rounds):
        out = subprocess.run([a.binary, "bench", "--random", "SigLIP-B/16", "--threads", str(a.threads),
                              "--images", str(a.images), "--repeats", str(a.repeats), "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        ours.append(json.loads(out)["measured"])
        theirs.append(torch_bench(a.threads, a.images, ours[-1]["prompts"], a.repeats))
        print(f"round {r + 1}: clip-tui {json.dumps(ours[-1])}\n         transformers {json.dumps(theirs[-1])}", flush=True)
    med = lambda rows, k: statistics.median(x[k] for x in rows)
    o = {k: med(ours, k) for k in ["image_ms_per_image", "image_gflops", "sgemm_gflops", "image_vs_sgemm",
                                   "text_ms_per_prompt", "text_gflops", "edit10_ms"]}
    t = {k: med(theirs, k) for k in ["image_ms_per_image", "text_ms_per_prompt"]}
    print(json.dumps({
        "threads": a.threads, "rounds": a.rounds, "clip_tui": o, "transformers": t,
        "image_speedup_vs_transformers": t["image_ms_per_image"] / o["image_ms_per_image"],
        "text_speedup_vs_transformers": t["text_ms_per_prompt"] / o["text_ms_per_prompt"],
    }, indent=1))


if __name__ == "__main__":
    main()
