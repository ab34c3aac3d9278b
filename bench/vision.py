"""Vision benchmark: face and plate detection on labelled images that ship in packages or are
rendered here, redaction time per megapixel, video frames per second, crowd-count error,
verification time per pair, peak RSS.

    python bench/vision.py [--json] [--write]

The labelled set (built on the fly, nothing downloaded):

- faces: scikit-image's astronaut (one face, box labelled by hand; NASA, public domain) and ten
  mosaics of ten LFW face crops each from ``skimage.data.lfw_subset()`` (100 faces, upscaled from
  25x25 to 100x100 px on a grey background; LFW is published for research use);
- no faces: ten mosaics of the 100 non-face crops of ``lfw_subset`` and the bundled scikit-image
  photos without people (coffee, chelsea, rocket, coins, horse, page, text, moon, clock), for
  false positives per image;
- plates: plates rendered here with the DejaVu font (Russian, EU, US and Chinese-style layouts,
  4 sizes each) pasted on a textured background; a plate counts as found when a "plate" box
  covers its centre.

A face counts as found when a "face" box covers its centre; any box that covers no labelled
centre is a false positive. Counts are aggregate: no crop is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
ASTRONAUT_FACE = (170, 60, 120, 125)  # x, y, w, h, labelled by hand


def _wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3))


def _mosaics(crops: np.ndarray, per: int = 10) -> list[tuple[np.ndarray, list[tuple]]]:
    """Images of ``per`` upscaled crops each on a grey canvas, with their boxes."""
    import cv2

    out = []
    side, gap = 100, 40
    for start in range(0, len(crops), per):
        canvas = np.full((2 * (side + gap) + gap, 5 * (side + gap) + gap, 3), 128, np.uint8)
        boxes = []
        for i, crop in enumerate(crops[start:start + per]):
            tile = cv2.resize((crop * 255).astype(np.uint8), (side, side),
                              interpolation=cv2.INTER_CUBIC)
            row, col = divmod(i, 5)
            x, y = gap + col * (side + gap), gap + row * (side + gap)
            canvas[y:y + side, x:x + side] = tile[:, :, None]
            boxes.append((x, y, side, side))
        out.append((canvas, boxes))
    return out


def face_set() -> tuple[list[tuple[np.ndarray, list[tuple]]], list[str]]:
    import cv2
    from skimage import data

    images = [(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), [ASTRONAUT_FACE])]
    lfw = data.lfw_subset()
    images += _mosaics(lfw[:100])  # faces
    images += [(canvas, []) for canvas, _ in _mosaics(lfw[100:])]  # non-faces
    names = []
    for name in ("coffee", "chelsea", "rocket", "coins", "horse", "page", "text", "moon",
                 "clock"):
        try:
            image = getattr(data, name)()
        except Exception:  # noqa: S112 - a photo not bundled offline is skipped
            continue
        image = np.asarray(image)
        if image.dtype != np.uint8:
            image = (image * 255).astype(np.uint8) if image.max() <= 1 else image.astype(np.uint8)
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGR)
        else:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        images.append((image, []))
        names.append(name)
    return images, names


def _covers(box: Any, truth: tuple) -> bool:
    cx, cy = truth[0] + truth[2] / 2, truth[1] + truth[3] / 2
    return box.x <= cx <= box.x + box.w and box.y <= cy <= box.y + box.h


def score(images: list[tuple[np.ndarray, list[tuple]]], kind: str) -> dict[str, Any]:
    from accord.vision import detect

    labelled = found = false = 0
    for image, truths in images:
        boxes = [b for b in detect.detect(image, (kind,)) if b.kind == kind]
        labelled += len(truths)
        found += sum(any(_covers(b, t) for b in boxes) for t in truths)
        false += sum(not any(_covers(b, t) for t in truths) for b in boxes)
    return {"images": len(images), "labelled": labelled, "found": found,
            "recall": round(found / labelled, 3) if labelled else None,
            "recall_ci95": _wilson(found, labelled),
            "false_positives": false,
            "false_positives_per_image": round(false / len(images), 3)}


PLATE_STYLES = {
    "russian": ("A123BC 77", (255, 255, 255), (0, 0, 0), 4.6),
    "eu": ("AB 123 CD", (255, 255, 255), (0, 0, 0), 4.7),
    "us": ("7ABC123", (250, 250, 240), (20, 20, 120), 2.0),
    "chinese-style": ("A 12345", (20, 60, 200), (255, 255, 255), 3.1),
}


def plate_set() -> dict[str, list[tuple[np.ndarray, list[tuple]]]]:
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(20)
    sets: dict[str, list[tuple[np.ndarray, list[tuple]]]] = {}
    for style, (text, fill, ink, ratio) in PLATE_STYLES.items():
        sets[style] = []
        for width in (120, 180, 260, 360):
            height = int(width / ratio)
            plate = Image.new("RGB", (width, height), fill)
            draw = ImageDraw.Draw(plate)
            draw.rectangle((1, 1, width - 2, height - 2), outline=ink, width=max(2, width // 80))
            font = ImageFont.truetype(FONT, int(height * 0.7))
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            scale = min(1.0, (width * 0.9) / (right - left))
            if scale < 1.0:
                font = ImageFont.truetype(FONT, int(height * 0.7 * scale))
                left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            draw.text(((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top),
                      text, font=font, fill=ink)
            background = rng.integers(60, 120, (480, 640, 3), dtype=np.uint8)
            x, y = (640 - width) // 2, 480 - height - 60
            background[y:y + height, x:x + width] = np.asarray(plate)[:, :, ::-1]
            sets[style].append((background, [(x, y, width, height)]))
    return sets


def redaction_speed() -> dict[str, Any]:
    import cv2
    from skimage import data

    from accord.vision import detect

    base = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    rows = []
    for side in (512, 1024, 2048):
        image = cv2.resize(base, (side, side))
        detect.detect(image)  # warm
        start = time.perf_counter()
        detect.encode_png(detect.redact(image, detect.detect(image)))
        seconds = time.perf_counter() - start
        rows.append({"megapixels": round(side * side / 1e6, 2),
                     "ms": round(seconds * 1000), "ms_per_megapixel":
                         round(seconds * 1000 / (side * side / 1e6))})
    return {"sizes": rows, "ms_per_megapixel": rows[-1]["ms_per_megapixel"]}


def video_speed() -> dict[str, Any]:
    import cv2
    from skimage import data

    from accord.vision.capability import blob_store
    from accord.vision.video import redact_video

    with tempfile.TemporaryDirectory() as tmp:
        still = Path(tmp) / "face.png"
        cv2.imwrite(str(still), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
        clip = Path(tmp) / "clip.mp4"
        subprocess.run(["/usr/bin/ffmpeg", "-v", "error", "-loop", "1", "-i", str(still), "-t", "4",
                        "-r", "25", "-vf", "scale=640:360,setsar=1", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", str(clip)], check=True)
        sha = blob_store().put(clip.read_bytes())
        start = time.perf_counter()
        summary = redact_video(sha, kinds=("face", "plate"))
        seconds = time.perf_counter() - start
    return {"resolution": "640x360", "frames": summary["frames"],
            "sample_every": summary["sample_every"], "seconds": round(seconds, 2),
            "fps": round(summary["frames"] / seconds, 1)}


def count_error(face_images: list[tuple[np.ndarray, list[tuple]]]) -> dict[str, Any]:
    from accord.vision import detect

    result: dict[str, Any] = {"images": len(face_images)}
    for method in ("hog", "faces"):
        errors = [abs(detect.count_people(image, method) - len(truths))
                  for image, truths in face_images]
        result[method] = {"mae": round(float(np.mean(errors)), 3),
                          "exact": int(sum(e == 0 for e in errors))}
    return result


def verify_speed() -> dict[str, Any]:
    try:
        from skimage import data

        from accord.vision.verify import compare_two
    except ImportError:
        return {"available": False}
    image = data.astronaut()
    other = np.ascontiguousarray(image[20:480, 40:500])
    compare_two(image, other)  # warm
    start = time.perf_counter()
    distance = compare_two(image, other)
    return {"available": True, "seconds_per_pair": round(time.perf_counter() - start, 3),
            "example_distance_same_photo_cropped": round(distance, 3),
            "genuine_pairs": 0, "impostor_pairs": 0,
            "error_rates": "not measured: no labelled identity pairs ship in a package"}


def measure() -> dict[str, Any]:
    os.environ.setdefault("ACCORD_STATE_DIR", tempfile.mkdtemp(prefix="accord-bench-"))
    import cv2

    faces, photo_names = face_set()
    plates = plate_set()
    by_style = {style: score(images, "plate") for style, images in plates.items()}
    all_plates = [item for images in plates.values() for item in images]
    plate_total = score(all_plates, "plate")
    result = {
        "opencv": cv2.__version__,
        "cpus": os.cpu_count(),
        "faces": {**score(faces, "face"), "photos_without_people": photo_names},
        "plates": {**plate_total, "false_positives_on_the_face_set": score(
            [(image, []) for image, _ in faces], "plate")["false_positives"],
            "by_style": ", ".join(
            f"{s} {r['found']}/{r['labelled']}" for s, r in by_style.items()),
            "per_style": by_style},
        "redaction": redaction_speed(),
        "video": video_speed(),
        "count": count_error(faces),
        "verification": verify_speed(),
    }
    result["redaction_ms_per_megapixel"] = result["redaction"]["ms_per_megapixel"]
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="write the figures to bench/results/vision.json")
    args = parser.parse_args(argv)
    if args.write:  # records the commit before anything is measured
        from _results import write
    result = measure()
    if args.write:
        write("vision", "vision.py", argv, result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    f, p = result["faces"], result["plates"]
    print(f"{'faces':>28}: {f['found']}/{f['labelled']} found (recall {f['recall']:.0%}, 95% "
          f"CI {f['recall_ci95'][0]:.0%}-{f['recall_ci95'][1]:.0%}); "
          f"{f['false_positives_per_image']} false positives per image on {f['images']} images")
    print(f"{'plates':>28}: {p['found']}/{p['labelled']} ({p['by_style']}); "
          f"{p['false_positives']} false positives")
    print(f"{'redaction ms per megapixel':>28}: {result['redaction_ms_per_megapixel']}")
    v = result["video"]
    print(f"{'video':>28}: {v['fps']} frames/s at {v['resolution']} ({v['frames']} frames)")
    c = result["count"]
    print(f"{'count MAE hog / faces':>28}: {c['hog']['mae']} / {c['faces']['mae']} "
          f"on {c['images']} images")
    print(f"{'verification s per pair':>28}: "
          f"{result['verification'].get('seconds_per_pair', 'n/a')}")
    print(f"{'peak RSS MB':>28}: {result['peak_rss_mb']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
