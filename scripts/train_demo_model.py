#!/usr/bin/env python3
"""Trains clip-tui's demo model: a small CLIP in the Hugging Face layout, on pictures it
draws itself (coloured shapes) with captions it writes, so that clip-tui runs its main job
on a fresh machine with no download, and wording matters as it does for CLIP.

  python3 scripts/train_demo_model.py --out Models/clip-demo [--steps 3500] [--seed 0] [--evaluate-only]

Needs torch, transformers, pillow, safetensors (PyPI); not needed to build or test clip-tui.
The tokenizer files are CLIP's own BPE vocabulary (copied from the test fixture). Writes the
checkpoint (fp16), a README with the recipe and figures, held-out sample renders under
Images/demo, and the demo label and template sets under Prompts/.
"""
import argparse, json, math, os, random, shutil, sys, time

import numpy as np
import torch
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
COLOURS = {"red": (220, 30, 30), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (240, 220, 40),
           "purple": (140, 50, 170), "orange": (245, 140, 20), "black": (15, 15, 15), "white": (245, 245, 245)}
SHAPES = ["circle", "square", "triangle", "star", "cross"]
# Backgrounds named with the shapes' own colour words, so that a template's extra words can
# point the wrong way ("… on a red background"): wording then matters, as it does for CLIP.
BACKGROUNDS = {"grey": (128, 128, 128), "light grey": (200, 200, 200), "dark grey": (70, 70, 70),
               "beige": (225, 210, 180), "red": (150, 40, 40), "green": (50, 120, 60), "blue": (40, 60, 150),
               "yellow": (200, 190, 90)}
# Radii in pixels. A patch is 32 pixels, so the smallest shapes span about two patches: smaller
# ones (the first recipe drew radii from 15) were where almost all of its errors were.
SIZES = {"small": (30, 38), "medium": (40, 52), "large": (54, 70)}
POSITIONS = {"top left": (0.27, 0.27), "top right": (0.73, 0.27), "bottom left": (0.27, 0.73),
             "bottom right": (0.73, 0.73), "centre": (0.5, 0.5)}
COUNTS = {1: "one", 2: "two", 3: "three"}
SIZE = 224


def draw_shape(d, shape, cx, cy, r, fill):
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif shape == "square":
        d.rectangle([cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85], fill=fill)
    elif shape == "triangle":
        d.polygon([(cx, cy - r), (cx - r * 0.95, cy + r * 0.75), (cx + r * 0.95, cy + r * 0.75)], fill=fill)
    elif shape == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * 0.45
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(pts, fill=fill)
    elif shape == "cross":
        w = r * 0.35
        d.rectangle([cx - w, cy - r, cx + w, cy + r], fill=fill)
        d.rectangle([cx - r, cy - w, cx + r, cy + w], fill=fill)


def render(rng, colour, shape):
    """One picture and the facts a caption can mention."""
    bg_name = rng.choice([b for b in BACKGROUNDS if b != colour and not (colour == "black" and b == "dark grey")
                          and not (colour == "white" and b in ("light grey", "beige"))
                          and not (colour == "orange" and b in ("red", "yellow"))
                          and not (colour == "purple" and b in ("blue", "red"))])
    count = rng.choice([1, 1, 1, 1, 1, 1, 1, 2, 2, 3])
    size_name = rng.choice(list(SIZES))
    pos_name = rng.choice(list(POSITIONS)) if count == 1 else None
    im = Image.new("RGB", (SIZE, SIZE), BACKGROUNDS[bg_name])
    d = ImageDraw.Draw(im)
    jitter = lambda c: tuple(int(np.clip(v + rng.randint(-18, 18), 0, 255)) for v in c)
    lo, hi = SIZES[size_name]
    centres = []
    for _ in range(count):
        r = rng.randint(lo, hi) if count == 1 else rng.randint(28, 40)
        for _ in range(50):
            if pos_name:
                fx, fy = POSITIONS[pos_name]
                cx, cy = fx * SIZE + rng.randint(-10, 10), fy * SIZE + rng.randint(-10, 10)
            else:
                cx, cy = rng.uniform(r + 4, SIZE - r - 4), rng.uniform(r + 4, SIZE - r - 4)
            if all((cx - x) ** 2 + (cy - y) ** 2 > (r + rr + 6) ** 2 for x, y, rr in centres):
                break
        centres.append((cx, cy, r))
        draw_shape(d, shape, cx, cy, r, jitter(COLOURS[colour]))
    return im, dict(colour=colour, shape=shape, bg=bg_name, count=count, size=size_name, pos=pos_name)


def caption(rng, f):
    c, s, n = f["colour"], f["shape"], f["count"]
    plural = s + ("es" if s.endswith("s") else "s")
    if n > 1:
        options = [f"{COUNTS[n]} {c} {plural}", f"a picture of {COUNTS[n]} {c} {plural}",
                   f"{COUNTS[n]} {c} {plural} on a {f['bg']} background", f"some {c} {plural}",
                   f"{n} {c} {plural}", f"a group of {c} {plural}"]
    else:
        article = "an" if c[0] in "aeiou" else "a"
        options = [f"{article} {c} {s}", f"a photo of {article} {c} {s}.", f"{article} {f['size']} {c} {s}",
                   f"{article} {c} {s} on a {f['bg']} background", f"{article} {c} {s} in the {f['pos']}",
                   f"a drawing of {article} {f['size']} {c} {s} in the {f['pos']}.",
                   f"there is {article} {c} {s} here", f"a {s} that is {c}", f"{c} {s}",
                   f"an image of {article} {c} {s} against {f['bg']}"]
    return rng.choice(options)


def pixels(images):
    """A batch [n, 3, 224, 224] normalised as CLIP's preprocessing does (no resize: renders are 224)."""
    a = torch.from_numpy(np.stack([np.asarray(im) for im in images])).permute(0, 3, 1, 2).float() / 255.0
    return ((a - torch.from_numpy(MEAN)[:, None, None]) / torch.from_numpy(STD)[:, None, None]).contiguous()


def classes():
    return [f"{c} {s}" for c in COLOURS for s in SHAPES]


TEMPLATE_SETS = {
    # Phrasings the captions use, all singular: they miss pictures with several shapes, which
    # the captions call "two red squares", "some red squares", "a group of red squares".
    "singular": ["a photo of a {}.", "a drawing of a {}.", "there is a {} here", "an image of a {}"],
    # The same and two plural phrasings, so that the ensemble covers one shape and several.
    # ("{}s" makes "crosss" of "cross", as a template written for regular plurals does.)
    "with-plurals": ["a photo of a {}.", "a drawing of a {}.", "there is a {} here", "an image of a {}",
                     "some {}s", "a group of {}s"],
    # The name alone and one sentence.
    "plain": ["{}", "a {}."],
    # Words the model knows (colour, size) that the pictures don't bear out, as "a black and
    # white photo" misleads CLIP on colour classes.
    "misleading": ["a black and white photo of a {}.", "a photo of a large {}.", "a photo of a small {}."],
}


def train(a, tok):
    from transformers import CLIPConfig, CLIPModel
    cfg = CLIPConfig(
        text_config=dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                         max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu",
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=49407),
        vision_config=dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                           image_size=224, patch_size=32, hidden_act="quick_gelu"),
        projection_dim=128)
    model = CLIPModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.1, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, a.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1, s / a.steps))))
    rng = random.Random(a.seed)
    start = time.time()
    model.train()
    for step in range(a.steps):
        batch = [render(rng, rng.choice(list(COLOURS)), rng.choice(SHAPES)) for _ in range(a.batch)]
        pix = pixels([im for im, _ in batch])
        caps = [caption(rng, f) for _, f in batch]
        t = tok(caps, padding=True, return_tensors="pt")
        out = model(input_ids=t["input_ids"], attention_mask=t["attention_mask"], pixel_values=pix, return_loss=True)
        opt.zero_grad(); out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % 100 == 0 or step == a.steps - 1:
            print(f"step {step} loss {out.loss.item():.3f} scale {model.logit_scale.exp().item():.1f} "
                  f"{time.time() - start:.0f}s", flush=True)
    return model, time.time() - start


def heldout(a):
    """The held-out renders (seed + 1000 unless --heldout-seed): (class index, image, facts),
    --heldout-per-class of each class in turn. Evaluation and --render-heldout share them."""
    rng = random.Random(a.heldout_seed if a.heldout_seed is not None else a.seed + 1000)
    return [(ci,) + render(rng, n.split()[0], n.split()[1]) for ci, n in enumerate(classes()) for _ in range(a.heldout_per_class)]


def evaluate(model, tok, a):
    """Zero-shot top-1 on the held-out renders (seed + 1000) for each template set and template:
    over all pictures, and apart for pictures of one shape and of several."""
    model.eval()
    names = classes()
    held = heldout(a)
    several = torch.tensor([f["count"] > 1 for _, _, f in held])
    # OpenAI's 7 ImageNet templates too: how far templates tuned for another model carry.
    imagenet7 = [l.strip() for l in open(os.path.join(ROOT, "Prompts", "imagenet-templates-7.txt"))
                 if l.strip() and not l.startswith("#")]
    evaluated = (list(TEMPLATE_SETS.items()) + [("imagenet-7", imagenet7)]
                 + [(f"single: {t}", [t]) for t in dict.fromkeys(t for ts in TEMPLATE_SETS.values() for t in ts)])
    figures = {}
    with torch.no_grad():
        img = model.visual_projection(model.vision_model(pixel_values=pixels([im for _, im, _ in held])).pooler_output)
        img = img / img.norm(dim=-1, keepdim=True)
        truth = torch.tensor([c for c, _, _ in held])
        for set_name, templates in evaluated:
            cls = []
            for n in names:
                t = tok([tp.format(n) for tp in templates], padding=True, return_tensors="pt")
                e = model.text_projection(model.text_model(**t).pooler_output)
                e = (e / e.norm(dim=-1, keepdim=True)).mean(0)
                cls.append(e / e.norm())
            right = ((img @ torch.stack(cls).T).argmax(1) == truth).float()
            figures[set_name] = {"all": right.mean().item(), "one shape": right[~several].mean().item(),
                                 "several shapes": right[several].mean().item()}
            print(f"zero-shot top-1 {right.mean() * 100:5.1f}%  (one shape {right[~several].mean() * 100:5.1f}%, "
                  f"several {right[several].mean() * 100:5.1f}%)  {set_name}")
    return figures, len(held), int(several.sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Models", "clip-demo"))
    ap.add_argument("--steps", type=int, default=3500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--heldout-per-class", type=int, default=10)
    ap.add_argument("--samples-per-class", type=int, default=2)
    ap.add_argument("--render-heldout", metavar="DIR",
                    help="only write the held-out renders (the evaluation set, seed + 1000) as DIR/<class>/N.png and exit")
    ap.add_argument("--evaluate-only", action="store_true",
                    help="don't train: evaluate the checkpoint in --out again and rewrite its figures, the samples and the prompt sets")
    ap.add_argument("--figures-only", action="store_true",
                    help="evaluate the checkpoint in --out and print the figures; write nothing")
    ap.add_argument("--heldout-seed", type=int, help="seed of the held-out renders (default: --seed + 1000)")
    a = ap.parse_args()
    if a.render_heldout:
        for k, (ci, im, _) in enumerate(heldout(a)):
            folder = os.path.join(a.render_heldout, classes()[ci].replace(" ", "_"))
            os.makedirs(folder, exist_ok=True)
            im.save(os.path.join(folder, f"{k % a.heldout_per_class}.png"))
        return
    torch.manual_seed(a.seed); random.seed(a.seed); np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    from transformers import CLIPModel, CLIPTokenizer
    training = not (a.figures_only or a.evaluate_only)
    if training:
        fixture = os.path.join(ROOT, "Tests", "CLIPTests", "Fixtures", "clip-tiny", "model")
        os.makedirs(a.out, exist_ok=True)
        for f in ("vocab.json", "merges.txt"):
            shutil.copy(os.path.join(fixture, f), os.path.join(a.out, f))
    tok = CLIPTokenizer(os.path.join(a.out, "vocab.json"), os.path.join(a.out, "merges.txt"))
    if a.figures_only:
        evaluate(CLIPModel.from_pretrained(a.out, torch_dtype=torch.float32), tok, a)
        return
    recipe_path = os.path.join(a.out, "training.json")
    if not training:
        recipe = json.load(open(recipe_path))
    else:
        model, train_seconds = train(a, tok)
        # The checkpoint, in fp16.
        model.half().save_pretrained(a.out, safe_serialization=True)
        json.dump({"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_normalize": True,
                   "do_resize": True, "image_mean": MEAN.tolist(), "image_std": STD.tolist(), "resample": 3,
                   "size": {"shortest_edge": 224}}, open(os.path.join(a.out, "preprocessor_config.json"), "w"), indent=2)
        recipe = {"seed": a.seed, "steps": a.steps, "batch": a.batch, "lr": a.lr,
                  "optimizer": "AdamW(0.9, 0.98), wd 0.1, cosine, 5% warm-up", "threads": a.threads,
                  "train_seconds": round(train_seconds), "torch": torch.__version__,
                  "final_logit_scale": model.logit_scale.float().exp().item()}

    # The figures are those of the fp16 checkpoint as shipped, read back in fp32.
    shipped = CLIPModel.from_pretrained(a.out, torch_dtype=torch.float32)
    figures, n_held, n_several = evaluate(shipped, tok, a)
    recipe.update({"classes": classes(), "template_sets": TEMPLATE_SETS, "zero_shot_top1": figures,
                   "heldout_images": n_held, "heldout_several_shapes": n_several})
    json.dump(recipe, open(recipe_path, "w"), indent=1)

    # Samples and prompt sets for the out-of-the-box session.
    names = classes()
    srng = random.Random(a.seed + 2000)
    images = os.path.join(ROOT, "Images", "demo")
    shutil.rmtree(images, ignore_errors=True)
    for n in names:
        os.makedirs(os.path.join(images, n.replace(" ", "_")), exist_ok=True)
        for k in range(a.samples_per_class):
            im, _ = render(srng, n.split()[0], n.split()[1])
            im.save(os.path.join(images, n.replace(" ", "_"), f"{k}.png"), optimize=True)
    prompts = os.path.join(ROOT, "Prompts")
    for old in os.listdir(prompts):
        if old.startswith("demo-templates-"):
            os.remove(os.path.join(prompts, old))
    open(os.path.join(prompts, "demo-labels.txt"), "w").write(
        "# The demo model's 40 classes (colour × shape); see Models/clip-demo/README.md\n" + "\n".join(names) + "\n")
    for set_name, templates in TEMPLATE_SETS.items():
        open(os.path.join(prompts, f"demo-templates-{set_name}.txt"), "w").write(
            f"# Demo template set '{set_name}' (scores in Models/clip-demo/README.md)\n" + "\n".join(templates) + "\n")
    print(json.dumps({k: v for k, v in recipe.items() if k != "classes"}, indent=1))


if __name__ == "__main__":
    main()
