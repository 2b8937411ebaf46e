#!/usr/bin/env python3
"""Image embeddings of every format fixture: clip-tui's against PIL + transformers'.

For each file in Tests/ImagingTests/Fixtures/formats (WebP lossy/lossless/alpha/animated,
CMYK and YCCK JPEG, 4:2:2 and EXIF-rotated JPEG, PPM/PGM/PBM, BMP, GIF, LA PNG), PIL opens
it and converts it to RGB, CLIPProcessor preprocesses it and CLIPModel embeds it; clip-tui
`encode` embeds the same file. Prints the cosine and the largest absolute difference of
each pair and exits 1 when a pair is outside the parity tests' bounds
(Tests/CLIPTests/FixtureCase.swift, assertRowsMatch): cosine >= 0.99999 and
max |diff| <= 1e-4 * max |value|.

Needs torch, transformers and Pillow (a venv: pip install torch transformers pillow).
Usage: python3 scripts/compare_format_embeddings.py [--model DIR] [--clip-tui BIN]
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import CLIPImageProcessor, CLIPModel

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "Tests/CLIPTests/Fixtures/clip-tiny/model"))
    parser.add_argument("--clip-tui", default=str(ROOT / ".build/release/clip-tui"))
    args = parser.parse_args()

    files = sorted(p for p in (ROOT / "Tests/ImagingTests/Fixtures/formats").iterdir() if p.suffix != ".json")
    model = CLIPModel.from_pretrained(args.model).eval()
    processor = CLIPImageProcessor.from_pretrained(args.model)
    def rgb(path):
        # PIL's convert("RGB"), as OpenAI's preprocessing takes it. PIL keeps a GIF's
        # transparent colour in `info` after converting, and transformers 5's processor
        # then composites those pixels on white (convert_to_rgb): 1.6 of a normalised
        # pixel on transparent.gif. OpenAI's CLIP and clip-tui do not; the key is dropped
        # so that both sides start from the same pixels.
        image = Image.open(path).convert("RGB")
        image.info.pop("transparency", None)
        return image

    with torch.no_grad():
        pixels = processor(images=[rgb(f) for f in files], return_tensors="pt")["pixel_values"]
        # CLIPModel's image_embeds, spelled out (get_image_features changed its return
        # type in transformers 5): the projection of the vision tower's pooled output.
        reference = model.visual_projection(model.vision_model(pixel_values=pixels).pooler_output)
        reference = torch.nn.functional.normalize(reference, dim=-1).numpy().astype(np.float64)

    command = [args.clip_tui, "encode", "--model", args.model, "--normalize", "--threads", "1"]
    for f in files:
        command += ["--image", str(f)]
    out = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
    rows = out["images"] if isinstance(out, dict) else out
    worst, failed = 0.0, []
    print(f"{'file':28} {'cosine':>10} {'max |diff|':>11} {'bound':>9}")
    for f, ref, row in zip(files, reference, rows):
        mine = np.asarray(row["embedding"] if isinstance(row, dict) else row, dtype=np.float64)
        cosine = float(mine @ ref / (np.linalg.norm(mine) * np.linalg.norm(ref)))
        diff = float(np.abs(mine - ref).max())
        bound = 1e-4 * float(np.abs(ref).max())
        worst = max(worst, diff)
        if cosine < 0.99999 or diff > bound:
            failed.append(f.name)
        print(f"{f.name:28} {cosine:10.7f} {diff:11.2e} {bound:9.2e}")
    print(f"{len(files)} files, largest difference {worst:.2e}; outside the bounds: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
