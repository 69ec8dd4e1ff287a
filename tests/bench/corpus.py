"""A cache of camera-sized JPEGs (3–6 MB), made once with Pillow and reused across runs."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from tests.support.photos import noisy_photo

MIN_BYTES = 3_000_000
MAX_BYTES = 6_000_000


def _make(args: tuple[Path, int]) -> int:
    path, seed = args
    if path.exists() and MIN_BYTES <= path.stat().st_size <= MAX_BYTES:
        return path.stat().st_size
    # Vary quality so sizes spread over the range, like different scenes from one phone.
    for quality in (88 + seed % 6, 85, 80, 92):
        data = noisy_photo(seed, quality=quality)
        if MIN_BYTES <= len(data) <= MAX_BYTES:
            break
    else:  # pragma: no cover - the generator is tuned to land in range
        raise RuntimeError(f"photo {seed} is {len(data)} bytes, outside 3–6 MB")
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def photos(cache: Path, count: int) -> list[Path]:
    """``count`` distinct 4000×3000 JPEGs under ``cache`` (generated on first use)."""
    folder = cache / "photos-4000x3000"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{i:03}.jpg" for i in range(count)]
    missing = [(p, i) for i, p in enumerate(paths) if not p.exists()]
    if missing:
        print(f"generating {len(missing)} photos into {folder} (once)…", flush=True)
        with multiprocessing.Pool(os.cpu_count() or 1) as pool:
            pool.map(_make, missing)
    for i, p in enumerate(paths):
        _make((p, i))  # validates sizes of cached files
    return paths
