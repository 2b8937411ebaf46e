#!/usr/bin/env python3
"""Makes the image-format fixtures of Tests/ImagingTests/Fixtures/formats/ and what
Pillow's `Image.open(f).convert("RGB")` gives for each (expected-pil-rgb.json).

    python3 scripts/make_format_fixtures.py [OUT]     (needs Pillow 12 or 13, numpy, cc, libjpeg)

Files are small (60 × 40 and less). Pillow writes most; the rest are written byte by
byte here: netpbm in every flavour, BMPs Pillow does not write (4-bit, top-down,
bitfields, a palette shorter than its indices), and a YCCK JPEG through libjpeg itself
(Pillow writes CMYK only), made by a small C program compiled on the spot.
"""
import hashlib
import io
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/ImagingTests/Fixtures/formats")
W, H = 60, 40


def base_rgb():
    y, x = np.mgrid[0:H, 0:W]
    r = (x * 255 // (W - 1)).astype(np.uint8)
    g = (y * 255 // (H - 1)).astype(np.uint8)
    b = ((x * 7 + y * 13) % 256).astype(np.uint8)
    rgb = np.stack([r, g, b], axis=-1)
    rgb[5:15, 5:20] = (255, 0, 0)  # saturated blocks: edges for the chroma subsampling
    rgb[20:35, 30:50] = (20, 200, 90)
    return rgb


def write(name, data):
    (OUT / name).write_bytes(data)


def pil_save(name, image, **kw):
    buf = io.BytesIO()
    image.save(buf, **kw)
    write(name, buf.getvalue())


def ycck_jpeg(cmyk_stored):
    """A YCCK JPEG from libjpeg: CMYK in (stored values, as Adobe writes them), YCCK out."""
    src = r"""
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
int main(int argc, char **argv) {
    int w = atoi(argv[1]), h = atoi(argv[2]);
    unsigned char *buf = malloc((size_t)w * h * 4);
    fread(buf, 1, (size_t)w * h * 4, stdin);
    struct jpeg_compress_struct c; struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e); jpeg_create_compress(&c); jpeg_stdio_dest(&c, stdout);
    c.image_width = w; c.image_height = h; c.input_components = 4; c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c); jpeg_set_colorspace(&c, JCS_YCCK); jpeg_set_quality(&c, 92, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) { JSAMPROW row = buf + (size_t)c.next_scanline * w * 4; jpeg_write_scanlines(&c, &row, 1); }
    jpeg_finish_compress(&c); return 0;
}
"""
    with tempfile.TemporaryDirectory() as d:
        c, exe = os.path.join(d, "ycck.c"), os.path.join(d, "ycck")
        pathlib.Path(c).write_text(src)
        subprocess.run(["cc", "-O1", "-o", exe, c, "-ljpeg"], check=True)
        h, w = cmyk_stored.shape[:2]
        return subprocess.run([exe, str(w), str(h)], input=cmyk_stored.tobytes(), capture_output=True, check=True).stdout


def bmp(pixels_bottom_up_rows, bits, width, height, palette=b"", compression=0, masks=b"", header=40, colors=None):
    """A BMP from ready rows (bottom-up unless height < 0), with a BITMAPINFOHEADER (40)
    or a V4/V5 header carrying the masks."""
    data = b"".join(pixels_bottom_up_rows)
    if colors is None:
        colors = len(palette) // 4
    info = struct.pack("<IiiHHIIiiII", header, width, height, 1, bits, compression, len(data), 2835, 2835, colors, 0)
    if header > 40:
        info += masks.ljust(header - 40, b"\0")
    elif masks:
        info += masks  # BI_BITFIELDS after a 40-byte header: three masks follow it
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + palette + data


def rows(arr, bits, pack):
    out = []
    for row in arr:
        raw = pack(row)
        out.append(raw + b"\0" * ((-len(raw)) % 4))
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rgb = base_rgb()
    im = Image.fromarray(rgb, "RGB")

    # JPEG: CMYK (Pillow writes the Adobe marker and inverted values), YCCK, 4:2:2, EXIF-rotated.
    pil_save("cmyk-adobe.jpg", im.convert("CMYK"), format="JPEG", quality=92)
    stored = 255 - np.asarray(im.convert("CMYK"))  # what an Adobe CMYK JPEG stores
    write("ycck.jpg", ycck_jpeg(np.ascontiguousarray(stored)))
    pil_save("rgb-422.jpg", im, format="JPEG", quality=90, subsampling="4:2:2")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: PIL's open() and CLIP's pipeline ignore it
    pil_save("exif-rotated.jpg", im, format="JPEG", quality=90, exif=exif.tobytes())

    # PNG with grey and alpha.
    pil_save("la.png", Image.merge("LA", (im.convert("L"), Image.fromarray(rgb[:, :, 2]))), format="PNG")

    # WebP: lossless, lossy, with alpha, animated (the first frame counts).
    rgba = im.copy()
    rgba.putalpha(Image.fromarray(rgb[:, :, 0]))
    pil_save("lossless.webp", im, format="WEBP", lossless=True)
    pil_save("lossy.webp", im, format="WEBP", quality=80)
    pil_save("alpha-lossy.webp", rgba, format="WEBP", quality=80)
    pil_save("alpha-lossless.webp", rgba, format="WEBP", lossless=True)
    second = Image.fromarray(255 - rgb, "RGB")
    pil_save("animated.webp", im, format="WEBP", save_all=True, append_images=[second], duration=100, lossless=True)

    # GIF: one frame, with transparency, animated.
    pal = im.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    pil_save("single.gif", pal, format="GIF")
    pil_save("transparent.gif", pal, format="GIF", transparency=3)
    pil_save("animated.gif", pal, format="GIF", save_all=True, append_images=[second.convert("P", palette=Image.Palette.ADAPTIVE)], duration=100)
    grey = im.convert("L")
    pil_save("grey.gif", grey, format="GIF")

    # Netpbm: binary and ASCII, grey and colour and bitmap, other maxvals, comments.
    g = np.asarray(grey)
    write("p6.ppm", b"P6\n# a comment\n%d %d\n255\n" % (W, H) + rgb.tobytes())
    write("p5.pgm", b"P5 %d %d 255\n" % (W, H) + g.tobytes())
    write("p3.ppm", b"P3\n%d %d\n255\n" % (W, H) + b"\n".join(b" ".join(b"%d" % v for v in row.flatten()) for row in rgb) + b"\n")
    write("p2.pgm", b"P2\n#c\n%d %d # size\n255\n" % (W, H) + b"\n".join(b" ".join(b"%d" % v for v in row) for row in g) + b"\n")
    write("p5-maxval-100.pgm", b"P5\n%d %d\n100\n" % (W, H) + (g.astype(np.uint32) * 100 // 255).astype(np.uint8).tobytes())
    write("p6-maxval-1000.ppm", b"P6\n%d %d\n1000\n" % (W, H) + (rgb.astype(np.uint32) * 1000 // 255).astype(">u2").tobytes())
    write("p5-16bit.pgm", b"P5\n%d %d\n65535\n" % (W, H) + (g.astype(np.uint32) * 3).astype(">u2").tobytes())
    write("p2-maxval-7.pgm", b"P2\n%d %d\n7\n" % (W, H) + b" ".join(b"%d" % (int(v) * 7 // 255) for v in g.flatten()) + b"\n")
    bits = (g > 127)
    write("p1.pbm", b"P1\n%d %d\n" % (W, H) + b"\n".join(b"".join(b"0" if v else b"1" for v in row) for row in bits) + b"\n")
    write("p4.pbm", b"P4\n%d %d\n" % (W, H) + b"".join(np.packbits(~bits, axis=1).tobytes() for _ in [0]))

    # BMP: what Pillow writes (24-bit, 8-bit palette, 1-bit) and what it does not.
    pil_save("rgb24.bmp", im, format="BMP")
    pil_save("palette8.bmp", pal, format="BMP")
    pil_save("bitmap1.bmp", im.convert("1"), format="BMP")
    bgr = rgb[:, :, ::-1]
    bottom_up = bgr[::-1]
    write("bgrx32.bmp", bmp(rows(bottom_up, 32, lambda r: np.concatenate([r, np.full((W, 1), 7, np.uint8)], axis=1).tobytes()), 32, W, H))
    write("topdown24.bmp", bmp(rows(bgr, 24, lambda r: r.tobytes()), 24, W, -H))
    masks = struct.pack("<IIII", 0xFF, 0xFF00, 0xFF0000, 0xFF000000)  # RGBA byte order
    rgba_rows = rows(np.asarray(rgba)[::-1], 32, lambda r: r.tobytes())
    write("rgba-bitfields-v5.bmp", bmp(rgba_rows, 32, W, H, compression=3, masks=masks, header=124))
    idx4 = (np.asarray(pal)[::-1] % 16).astype(np.uint8)
    palette16 = b"".join(struct.pack("<BBBB", (i * 37) % 256, (i * 91) % 256, (i * 53) % 256, 0) for i in range(16))
    pack4 = lambda r: bytes(((r[i] << 4) | (r[i + 1] if i + 1 < len(r) else 0)) for i in range(0, len(r), 2))
    write("palette4.bmp", bmp(rows(idx4, 4, pack4), 4, W, H, palette=palette16))
    r5, g5, b5 = (bottom_up[:, :, 2] >> 3).astype(np.uint16), (bottom_up[:, :, 1] >> 3).astype(np.uint16), (bottom_up[:, :, 0] >> 3).astype(np.uint16)
    g6 = (bottom_up[:, :, 1] >> 2).astype(np.uint16)
    write("rgb555.bmp", bmp(rows((r5 << 10) | (g5 << 5) | b5, 16, lambda r: r.astype("<u2").tobytes()), 16, W, H))
    write("rgb565-bitfields.bmp", bmp(rows((r5 << 11) | (g6 << 5) | b5, 16, lambda r: r.astype("<u2").tobytes()), 16, W, H,
                                      compression=3, masks=struct.pack("<III", 0xF800, 0x7E0, 0x1F)))
    short = palette16[: 6 * 4]  # six colours, indices up to 15
    write("palette4-short.bmp", bmp(rows(idx4, 4, pack4), 4, W, H, palette=short, colors=6))

    expected = {}
    for f in sorted(OUT.iterdir()):
        if f.suffix in (".json", ".md"):
            continue
        try:
            with Image.open(f) as opened:
                out = opened.convert("RGB")
                expected[f.name] = {
                    "width": out.width, "height": out.height,
                    "rgb8_sha256": hashlib.sha256(out.tobytes()).hexdigest(),
                    "pil_mode": opened.mode, "pil_format": opened.format,
                }
        except Exception as e:  # files Pillow refuses must be refused too
            expected[f.name] = {"error": f"{type(e).__name__}: {e}"}
    import PIL
    expected["_pillow"] = {"note": f"Pillow {PIL.__version__}, Image.open(f).convert('RGB')"}
    (OUT / "expected-pil-rgb.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    for k, v in expected.items():
        print(k, v.get("pil_mode", v.get("error", v.get("note"))))


if __name__ == "__main__":
    main()
