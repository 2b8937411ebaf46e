"""Reference probabilities for `clip-tui eval` with a SigLIP model on this folder
(PyTorch, transformers SiglipModel, SiglipTokenizer, SiglipImageProcessorPil).

  python make_expected_siglip.py MODEL_DIR > expected-siglip.json

MODEL_DIR: Tests/CLIPTests/Fixtures/siglip-tiny/model (scripts/make_siglip_fixtures.py).
Prompts as in make_expected.py; each padded to 64 tokens and run without an attention
mask. Ensembles as OpenAI: normalise each prompt embedding, average, normalise.
Probabilities: sigmoid(exp(logit_scale) * cos + logit_bias), each class on its own.
"""
import json, os, sys
import torch
from PIL import Image
from transformers import SiglipModel, SiglipTokenizer
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

model_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
lines = lambda f: [l.strip() for l in open(os.path.join(here, f), encoding="utf-8") if l.strip() and not l.startswith("#")]
classes = [[n.strip() for n in l.split("|")] for l in lines("labels.txt")]
templates = lines("templates.txt")
def render(t, name):
    out, i = "", 0
    while i < len(t):
        if t.startswith("{{", i): out += "{"; i += 2
        elif t.startswith("}}", i): out += "}"; i += 2
        elif t.startswith("{}", i): out += name; i += 2
        elif t.startswith("{c}", i): out += name; i += 3
        else: out += t[i]; i += 1
    return out
m = SiglipModel.from_pretrained(model_dir).eval()
tok = SiglipTokenizer.from_pretrained(model_dir)
proc = SiglipImageProcessorPil.from_pretrained(model_dir)
def text_emb(texts):
    ids = torch.tensor(tok(texts, padding="max_length", max_length=64, truncation=True)["input_ids"])
    e = m.get_text_features(input_ids=ids).pooler_output
    return e / e.norm(dim=-1, keepdim=True)
with torch.no_grad():
    cls = []
    for names in classes:
        e = text_emb([render(t, n) for t in templates for n in names]).mean(0)
        cls.append(e / e.norm())
    cls = torch.stack(cls)
    paths = sorted(os.path.relpath(os.path.join(r, f), os.path.join(here, "images"))
                   for r, _, fs in os.walk(os.path.join(here, "images")) for f in fs)
    pix = proc([Image.open(os.path.join(here, "images", p)).convert("RGB") for p in paths], return_tensors="pt")["pixel_values"]
    img = m.get_image_features(pixel_values=pix).pooler_output
    img = img / img.norm(dim=-1, keepdim=True)
    probs = torch.sigmoid(m.logit_scale.exp() * img @ cls.T + m.logit_bias)
json.dump({"made_with": f"make_expected_siglip.py, torch {torch.__version__}", "classes": [c[0] for c in classes],
           "logit_scale": float(m.logit_scale.exp()), "logit_bias": float(m.logit_bias),
           "images": {p: probs[i].tolist() for i, p in enumerate(paths)}}, sys.stdout, indent=1)
