#!/usr/bin/env python3
"""Makes Tests/CLIToolTests/Fixtures/wds: the eval fixture's 12 images in CLIP_benchmark's
webdataset layout (clip_benchmark 1.6.2, datasets/builder.py, build_wds_dataset), the same
pixels as lossless WebP, two shards.

    python3 scripts/make_webdataset_fixture.py     (needs Pillow)

Samples are written in the order of the class folders' sorted relative paths, so that the
i-th sample is the i-th image of `--images Tests/CLIToolTests/Fixtures/eval/images`.
"""
import io
import json
import pathlib
import tarfile

from PIL import Image

SRC = pathlib.Path("Tests/CLIToolTests/Fixtures/eval/images")
OUT = pathlib.Path("Tests/CLIToolTests/Fixtures/wds")
CLASSES = ["gradient", "noise", "shapes"]


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def main():
    files = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*") if p.is_file())
    (OUT / "test").mkdir(parents=True, exist_ok=True)
    (OUT / "classnames.txt").write_text("\n".join(CLASSES) + "\n")
    (OUT / "zeroshot_classification_templates.txt").write_text("a photo of a {c}.\nitap of a {c}.\n")
    (OUT / "dataset_type.txt").write_text("classification\n")
    shards = [files[:7], files[7:]]
    (OUT / "test" / "nshards.txt").write_text(f"{len(shards)}\n")
    index = {}
    n = 0
    for s, part in enumerate(shards):
        with tarfile.open(OUT / "test" / f"{s}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
            for rel in part:
                key = f"s{n:04d}"
                buf = io.BytesIO()
                Image.open(SRC / rel).convert("RGB").save(buf, format="WEBP", lossless=True)
                add(tar, key + ".webp", buf.getvalue())
                add(tar, key + ".cls", str(CLASSES.index(rel.split("/")[0])).encode())
                add(tar, key + ".json", json.dumps({"source": rel}).encode())  # ignored, as by webdataset's to_tuple
                index[f"{s}.tar/{key}"] = rel
                n += 1
    (OUT / "samples.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
