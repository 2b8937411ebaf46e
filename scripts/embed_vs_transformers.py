#!/usr/bin/env python3
"""`clip-tui embed` of a folder beside a transformers script doing the same, whole process
(start-up, model load, decoding, preprocessing, encoding) timed alternately in one run.

  python3 scripts/embed_vs_transformers.py [--images Images/demo] [--rounds 3] [--model DIR]

Without --model, a CLIPModel of ViT-B/32's shapes with random weights is made once (seed 0,
transformers' CLIPConfig defaults are ViT-B/32's) and saved with the demo model's BPE
vocabulary into a temporary folder. Both sides run at their defaults: clip-tui with the
cores the process may use, torch with its default threads. clip-tui writes to a fresh cache
each round, so it encodes every image. Needs torch, transformers and pillow.
"""
import argparse, glob, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRANSFORMERS_SIDE = r"""
import glob, os, sys, torch
from PIL import Image
from transformers import CLIPModel, CLIPImageProcessor
model = CLIPModel.from_pretrained(sys.argv[1]).eval()
processor = CLIPImageProcessor.from_pretrained(sys.argv[1])
paths = sorted(p for p in glob.glob(os.path.join(sys.argv[2], "**", "*"), recursive=True)
               if p.lower().endswith((".png", ".jpg", ".jpeg")))
rows = []
with torch.inference_mode():
    for i in range(0, len(paths), 16):
        images = [Image.open(p).convert("RGB") for p in paths[i:i + 16]]
        e = model.get_image_features(**processor(images=images, return_tensors="pt"))
        e = e if torch.is_tensor(e) else e.pooler_output
        rows.append(torch.nn.functional.normalize(e, dim=-1))
print(len(torch.cat(rows)))
"""


def make_model(out):
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPImageProcessor
    torch.manual_seed(0)
    CLIPModel(CLIPConfig()).save_pretrained(out, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}).save_pretrained(out)
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(ROOT, "Models", "clip-demo", f), out)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default=os.path.join(ROOT, "Images", "demo"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "clip-tui"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="embed-vs-transformers-")
    try:
        model = a.model or os.path.join(work, "b32")
        if not a.model:
            make_model(model)
        count = len([p for p in glob.glob(os.path.join(a.images, "**", "*"), recursive=True)
                     if p.lower().endswith((".png", ".jpg", ".jpeg"))])
        ours, theirs = [], []
        for r in range(a.rounds):
            cache = os.path.join(work, f"cache-{r}.sqlite")
            ours.append(timed([a.binary, "embed", a.images, "--model", model, "--cache", cache]))
            theirs.append(timed([sys.executable, "-c", TRANSFORMERS_SIDE, model, a.images]))
            print(f"round {r + 1}: clip-tui {ours[-1]:.2f} s, transformers {theirs[-1]:.2f} s", flush=True)
        o, t = statistics.median(ours), statistics.median(theirs)
        import torch
        print(json.dumps({"images": count, "clip_tui_s": round(o, 3), "transformers_s": round(t, 3),
                          "ratio": round(t / o, 2), "torch": torch.__version__, "torch_threads": torch.get_num_threads()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
