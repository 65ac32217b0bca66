"""Write a FHIR Bulk Data export (NDJSON, one file per resource type) from a folder of FHIR R4 bundles.

    python scripts/bundles_to_ndjson.py BUNDLES_DIR OUT_DIR [--gzip] [--split N]

Every resource of every bundle (``*.json``, sorted by name) is written as one line of ``<Type>.ndjson`` (or
``<Type>.ndjson.gz``; with ``--split N`` the ``$export`` naming ``<Type>_1.ndjson``, ``<Type>_2.ndjson``... with at
most N lines a file). Bundle-internal references (``urn:uuid:…``, as Synthea writes them) are rewritten as
``<Type>/<id>``, which is how a server's export refers to resources. Used by the tests to build an NDJSON sample from
``../shared/fhir/synthea-r4`` in a temporary folder; the output is never committed.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import IO, Any


def _rewrite(value: Any, targets: dict[str, str]) -> Any:
    """``value`` with every ``{"reference": "urn:uuid:…"}`` pointing at a bundle entry rewritten as ``Type/id``."""
    if isinstance(value, dict):
        rewritten = {key: _rewrite(item, targets) for key, item in value.items()}
        reference = rewritten.get("reference")
        if isinstance(reference, str) and reference in targets:
            rewritten["reference"] = targets[reference]
        return rewritten
    if isinstance(value, list):
        return [_rewrite(item, targets) for item in value]
    return value


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The bundle's resources with their internal references rewritten."""
    entries = [entry for entry in bundle.get("entry") or () if isinstance(entry.get("resource"), dict)]
    targets = {
        entry["fullUrl"]: f"{entry['resource'].get('resourceType')}/{entry['resource'].get('id')}"
        for entry in entries
        if isinstance(entry.get("fullUrl"), str)
    }
    return [_rewrite(entry["resource"], targets) for entry in entries]


class _Writer:
    """One open file per resource type, rolled over every ``split`` lines when asked."""

    def __init__(self, folder: Path, compress: bool, split: int | None) -> None:
        self.folder, self.compress, self.split = folder, compress, split
        self.files: dict[str, tuple[IO[str], int, int]] = {}  # type -> (file, part, lines in it)

    def _open(self, kind: str, part: int) -> IO[str]:
        name = f"{kind}_{part}.ndjson" if self.split else f"{kind}.ndjson"
        if self.compress:
            return gzip.open(self.folder / f"{name}.gz", "wt", encoding="utf-8")
        return (self.folder / name).open("w", encoding="utf-8")

    def write(self, resource: dict[str, Any]) -> None:
        kind = str(resource.get("resourceType"))
        handle, part, lines = self.files.get(kind) or (self._open(kind, 1), 1, 0)
        if self.split and lines >= self.split:
            handle.close()
            part, lines = part + 1, 0
            handle = self._open(kind, part)
        handle.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.files[kind] = (handle, part, lines + 1)

    def close(self) -> None:
        for handle, _, _ in self.files.values():
            handle.close()


def bundles_to_ndjson(bundles: Path, out: Path, *, compress: bool = False, split: int | None = None) -> int:
    """Write the export; returns the number of resources written."""
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out, compress, split)
    count = 0
    try:
        for path in sorted(bundles.glob("*.json")):
            bundle = json.loads(path.read_text(encoding="utf-8"))
            if bundle.get("resourceType") != "Bundle":
                continue
            for resource in bundle_resources(bundle):
                writer.write(resource)
                count += 1
    finally:
        writer.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundles", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--gzip", action="store_true", help="write <Type>.ndjson.gz")
    parser.add_argument("--split", type=int, default=None, help="at most N lines a file, $export naming")
    arguments = parser.parse_args()
    count = bundles_to_ndjson(arguments.bundles, arguments.out, compress=arguments.gzip, split=arguments.split)
    print(f"{count} resources written to {arguments.out}")


if __name__ == "__main__":
    main()
