"""Writes the image fixtures of `deno task run`: small PNG/JPEG files and what
TensorFlow makes of them (decode, tf.image.resize, rgb_to_grayscale, the full
preprocessing of a model input), as .npy files.

    .tools/venv/bin/python tools/py/image_resize_fixtures.py tests/fixtures/images

tests/runtime_run_cli_test.ts reads manifest.json and checks runtime/image.ts against
every entry: PNG decoding exactly, resizes to 1e-5, JPEG decoding (jpeg-js vs
TF's libjpeg-turbo) within the tolerance measured here and recorded below.
PNGs TF cannot write (palette with tRNS, 2-bit grayscale) are written by hand
(`write_png`), and JPEGs with 4:2:2 and 4:4:0 chroma by libjpeg-turbo's cjpeg
(`apt-get install libjpeg-turbo-progs`); TF then decodes them like any other file.
"""

import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import tensorflow as tf

SEED = 20261206


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(width, height, depth, color_type, rows, extra=()):
    """A PNG from packed scanlines (filter 0 on every row)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + b"".join(chunk(k, d) for k, d in extra)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def cjpeg(a, sample):
    """A JPEG from libjpeg-turbo's cjpeg with the luma sampling factors `sample` (e.g. "2x1": 4:2:2)."""
    if shutil.which("cjpeg") is None:
        sys.exit("image_resize_fixtures: needs cjpeg (apt-get install libjpeg-turbo-progs)")
    h, w, _ = a.shape
    with tempfile.NamedTemporaryFile(suffix=".ppm") as f:
        f.write(b"P6 %d %d 255\n" % (w, h) + a.astype(np.uint8).tobytes())
        f.flush()
        return subprocess.run(["cjpeg", "-quality", "90", "-sample", sample, f.name], check=True,
                              capture_output=True).stdout


def smooth(rng, h, w, c, peak=255):
    """Gradients, a ripple and a little noise: image-like, so JPEG behaves as on photos."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c))
    for k in range(c):
        a, b, f = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.3, 1.2)
        v = 0.5 + 0.25 * (a * x / max(w - 1, 1) + b * y / max(h - 1, 1)) + 0.2 * np.sin(f * x + 0.7 * f * y + k)
        out[..., k] = v + rng.normal(0, 0.05, (h, w))
    return np.clip(np.round(out * peak), 0, peak)


def make_images(rng):
    """name -> file bytes."""
    imgs = {}
    enc = lambda a, dtype=tf.uint8: tf.io.encode_png(tf.constant(a, dtype)).numpy()  # noqa: E731
    imgs["rgb_7x5.png"] = enc(smooth(rng, 5, 7, 3))
    imgs["gray_13x11.png"] = enc(smooth(rng, 11, 13, 1))
    imgs["graya_4x3.png"] = enc(smooth(rng, 3, 4, 2))
    imgs["rgba_5x6.png"] = enc(smooth(rng, 6, 5, 4))
    imgs["rgb16_6x4.png"] = enc(smooth(rng, 4, 6, 3, peak=65535), tf.uint16)
    # Palette (8-bit indices) with a tRNS shorter than the palette: TF decodes it as RGBA.
    palette = rng.integers(0, 256, (6, 3), dtype=np.uint8)
    idx = rng.integers(0, 6, (5, 6), dtype=np.uint8)
    imgs["palette_6x5.png"] = write_png(
        6, 5, 8, 3, idx, [(b"PLTE", palette.tobytes()), (b"tRNS", bytes([0, 90, 200, 255]))]
    )
    # 2-bit grayscale, 9 pixels a row (3 bytes, the last one padded).
    g2 = rng.integers(0, 4, (3, 9))
    rows = []
    for r in g2:
        p = list(r) + [0] * 3
        rows.append([(p[i] << 6) | (p[i + 1] << 4) | (p[i + 2] << 2) | p[i + 3] for i in range(0, 12, 4)])
    imgs["gray2bit_9x3.png"] = write_png(9, 3, 2, 0, rows)
    jpg = lambda a, **kw: tf.io.encode_jpeg(tf.constant(a, tf.uint8), quality=90, **kw).numpy()  # noqa: E731
    imgs["rgb444_16x12.jpg"] = jpg(smooth(rng, 12, 16, 3), chroma_downsampling=False)
    imgs["rgb420_16x12.jpg"] = jpg(smooth(rng, 12, 16, 3), chroma_downsampling=True)
    imgs["rgb422_15x9.jpg"] = cjpeg(smooth(rng, 9, 15, 3), "2x1")
    imgs["rgb440_10x13.jpg"] = cjpeg(smooth(rng, 13, 10, 3), "1x2")
    imgs["gray_10x9.jpg"] = jpg(smooth(rng, 9, 10, 1), format="grayscale")
    # Larger and photo-like (smooth, quality 75, 4:2:0): the typical difference, next to the worst case.
    imgs["photo_32x24.jpg"] = tf.io.encode_jpeg(tf.constant(smooth(rng, 24, 32, 3), tf.uint8), quality=75).numpy()
    return imgs


def decode(name, data):
    if name.endswith(".jpg"):
        return tf.io.decode_jpeg(data)  # TF's defaults: dct_method "" (INTEGER_FAST), fancy upscaling
    return tf.io.decode_png(data, dtype=tf.uint16 if "16" in name.split("_")[0] else tf.uint8)


SIZES = [(3, 4), (8, 11), (2, 9)]  # down, up, mixed (non-square)

# The full preprocessing of a model input, as a TF user writes it:
# resize to the model's H×W, then (x * scale - mean) / std in float32.
PIPELINES = [
    dict(image="rgb_7x5.png", size=(16, 16), channels=3, scale=1 / 255, mean=[0.485, 0.456, 0.406],
         std=[0.229, 0.224, 0.225]),
    dict(image="rgba_5x6.png", size=(4, 6), channels=1, scale=1 / 255, mean=[0.5], std=[0.25]),
    dict(image="rgb16_6x4.png", size=(5, 3), channels=3, scale=1 / 255, mean=[0], std=[1]),
]


def save(out: Path, name: str, a: np.ndarray) -> str:
    np.save(out / name, a)
    return name


def pipeline(p, decoded):
    x = tf.cast(decoded, tf.float32)
    if decoded.dtype == tf.uint16:
        x = x / 257.0  # onebit reads 16-bit samples as v / 257: the 8-bit range
    if p["channels"] == 1:
        x = tf.image.rgb_to_grayscale(x[..., :3])
    else:
        x = x[..., :3]
    x = tf.image.resize(x, p["size"])
    return ((x * np.float32(p["scale"]) - np.float32(p["mean"])) / np.float32(p["std"]))[tf.newaxis].numpy()


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for f in out.glob("*"):
        f.unlink()
    rng = np.random.default_rng(SEED)
    manifest = {"generator": "tools/py/image_resize_fixtures.py", "tensorflow": tf.__version__, "images": []}
    decoded_by_name = {}
    for name, data in make_images(rng).items():
        (out / name).write_bytes(data)
        img = decode(name, data)
        decoded_by_name[name] = img
        stem = name.replace(".", "_")
        entry = {"file": name, "shape": list(img.shape), "dtype": img.dtype.name,
                 "decoded": save(out, f"{stem}.decoded.npy", img.numpy()), "resized": []}
        for h, w in SIZES if name.endswith(".png") else SIZES[:1]:  # resizing is proven on PNGs
            r = tf.image.resize(img, (h, w)).numpy()  # bilinear, antialias=False, half-pixel centers
            entry["resized"].append({"size": [h, w], "file": save(out, f"{stem}.{h}x{w}.npy", r)})
        if img.shape[-1] >= 3 and name.endswith(".png"):
            gray = tf.image.rgb_to_grayscale(tf.cast(img[..., :3], tf.float32)).numpy()
            entry["gray"] = save(out, f"{stem}.gray.npy", gray)
        if name.endswith(".jpg"):
            # How far TF's own two IDCTs are apart, for scale when reading jpeg-js's difference.
            acc = tf.io.decode_jpeg(data, dct_method="INTEGER_ACCURATE").numpy().astype(int)
            entry["tf_fast_vs_accurate_max_abs"] = int(np.abs(acc - img.numpy().astype(int)).max())
        manifest["images"].append(entry)
    manifest["pipelines"] = []
    for k, p in enumerate(PIPELINES):
        x = pipeline(p, decoded_by_name[p["image"]])
        manifest["pipelines"].append({**p, "size": list(p["size"]), "file": save(out, f"pipeline_{k}.npy", x)})
    (out / "manifest.json").write_text(json.dumps(manifest, separators=(",", ":")) + "\n")
    total = sum(f.stat().st_size for f in out.glob("*"))
    print(f"wrote {len(list(out.glob('*')))} files, {total} bytes, into {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/images"))
