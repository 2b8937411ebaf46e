#!/usr/bin/env python3
"""Writes Sources/PeerFiles/Resources/imagenet-classes.json: ImageNet-1k's 1,000 WordNet
ids in class-index order and open_clip's English class names for the same indices. The
file is data, compiled into the binary (SwiftPM's embedInCode) and read by
Sources/PeerFiles/ImageNetClasses.swift.

Sources (both on PyPI; `pip download --no-deps open-clip-torch==3.3.0 timm==1.0.31`):
  - open_clip/zero_shot_metadata.py, IMAGENET_CLASSNAMES (MIT)
  - timm/data/_info/imagenet_synsets.txt (Apache-2.0): the ids, sorted, which is also
    torchvision's ImageFolder order for the 1,000 validation folders.

Usage: scripts/make_imagenet_tables.py OPEN_CLIP_WHEEL TIMM_WHEEL
"""
import ast
import sys
import zipfile

open_clip_wheel, timm_wheel = sys.argv[1:3]
with zipfile.ZipFile(open_clip_wheel) as z:
    source = z.read("open_clip/zero_shot_metadata.py").decode()
names = None
for node in ast.parse(source).body:
    if isinstance(node, ast.Assign) and node.targets[0].id == "IMAGENET_CLASSNAMES":
        names = [e.value for e in node.value.elts]
with zipfile.ZipFile(timm_wheel) as z:
    wnids = z.read("timm/data/_info/imagenet_synsets.txt").decode().split()
assert len(names) == 1000 and len(wnids) == 1000 and wnids == sorted(wnids)


import json

table = {
    "source": "scripts/make_imagenet_tables.py from open_clip 3.3.0 (MIT, zero_shot_metadata.py) "
    "and timm 1.0.31 (Apache-2.0, imagenet_synsets.txt); do not edit",
    "wordnet_ids": wnids,
    "english_names": names,
}
with open("Sources/PeerFiles/Resources/imagenet-classes.json", "w", encoding="utf-8") as f:
    json.dump(table, f, ensure_ascii=False, indent=0)
    f.write("\n")
