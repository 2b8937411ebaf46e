"""Reference probabilities for `clip-tui eval` on this folder (PyTorch, transformers CLIPModel).

  python make_expected.py MODEL_DIR CLIPREF_PY > expected.json

Prompts: each template with '{}' (or '{c}') replaced by each class name and synonym, '{{' '}}'
as literal braces. Ensembles as OpenAI: normalise each prompt embedding, average, normalise.
Images: OpenAI preprocessing (clipref.preprocess). Probabilities: softmax(exp(logit_scale) * cos).
"""
import importlib.util, json, os, sys
import numpy as np, torch
from PIL import Image
from transformers import CLIPModel

model_dir, clipref = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("clipref", clipref); ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
sys.path.insert(0, os.environ["OPENAI_CLIP_DIR"])
tok = ref.openai_tokenizer(os.environ["OPENAI_CLIP_DIR"])
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
m = CLIPModel.from_pretrained(model_dir).eval()
def text_emb(texts):
    ids = [ref.encode_text(tok, s) for s in texts]
    L = max(map(len, ids)); t = torch.full((len(ids), L), 49407, dtype=torch.long)
    for i, x in enumerate(ids): t[i, :len(x)] = torch.tensor(x)
    e = m.text_projection(m.text_model(input_ids=t).pooler_output)
    return e / e.norm(dim=-1, keepdim=True)
with torch.no_grad():
    cls = []
    for names in classes:
        e = text_emb([render(t, n) for t in templates for n in names]).mean(0)
        cls.append(e / e.norm())
    cls = torch.stack(cls)
    paths = sorted(os.path.relpath(os.path.join(r, f), os.path.join(here, "images"))
                   for r, _, fs in os.walk(os.path.join(here, "images")) for f in fs)
    pix = torch.tensor(np.stack([ref.preprocess(Image.open(os.path.join(here, "images", p)), 224)[0] for p in paths]))
    img = m.visual_projection(m.vision_model(pixel_values=pix).pooler_output)
    img = img / img.norm(dim=-1, keepdim=True)
    probs = (m.logit_scale.exp() * img @ cls.T).softmax(dim=-1)
json.dump({"made_with": f"make_expected.py, torch {torch.__version__}", "classes": [c[0] for c in classes],
           "images": {p: probs[i].tolist() for i, p in enumerate(paths)}}, sys.stdout, indent=1)
