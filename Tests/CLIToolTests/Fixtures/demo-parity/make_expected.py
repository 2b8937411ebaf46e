"""Reference embeddings of the bundled demo model (PyTorch, transformers CLIPModel in fp32)
for `DemoModelParityTests`: 8 sample images and 8 prompts.

  python make_expected.py > expected.json      (from this folder; torch, transformers, pillow)

The samples are 224×224, so CLIP's resize and centre crop leave them as they are and the
pixels only need CLIP's normalisation.
"""
import json, os
import numpy as np, torch
from PIL import Image
from transformers import CLIPModel, CLIPTokenizer

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
model_dir = os.path.join(root, "Models", "clip-demo")
model = CLIPModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
tok = CLIPTokenizer(os.path.join(model_dir, "vocab.json"), os.path.join(model_dir, "merges.txt"))
names = sorted(os.listdir(os.path.join(root, "Images", "demo")))
classes = [names[i * 5 + i % 5] for i in range(8)]  # every colour, shapes in turn
images = [f"Images/demo/{c}/0.png" for c in classes]
texts = ["a photo of a red circle.", "a drawing of a blue star.", "green square", "there is a yellow cross here",
         "two purple triangles on a grey background", "an outline of an orange circle", "a white star.", "{}"]
mean = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
std = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
pixels = np.stack([(np.asarray(Image.open(os.path.join(root, p)).convert("RGB"), dtype=np.float32) / 255 - mean) / std
                   for p in images]).transpose(0, 3, 1, 2)
with torch.no_grad():
    img = model.visual_projection(model.vision_model(pixel_values=torch.from_numpy(pixels.copy())).pooler_output)
    t = tok(texts, padding=True, return_tensors="pt")
    txt = model.text_projection(model.text_model(**t).pooler_output)
print(json.dumps({"images": images, "image_embeds": img.tolist(), "texts": texts, "text_embeds": txt.tolist(),
                  "token_ids": [ids[:int(m.sum())] for ids, m in zip(t["input_ids"].tolist(), t["attention_mask"])],
                  "torch": torch.__version__}))
