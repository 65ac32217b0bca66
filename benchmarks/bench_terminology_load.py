"""Cost of the terminology layer: cold load time of its tables and the memory they take, in a fresh process.

Prints the time to build criteria_nlp's spaCy pipeline (which the parser builds anyway and the layer's tokenizer
uses), then the time and memory to read the tables, then the matching speed over a few criteria. Also checks that
parsing a protocol does not load the layer while nothing calls it.

    python benchmarks/bench_terminology_load.py
"""

from __future__ import annotations

import resource
import sys
import time
from typing import Any

from criteria_nlp.resources import corpus_path

_CRITERIA = (
    "History of bladder cancer or brainstem glioma",
    "No active tuberculosis; on metformin or warfarin",
    "Prior coronary angiography, cholecystectomy or general anesthesia within 3 months",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    from criteria_nlp.pipeline import default_parser

    started = time.perf_counter()
    parser = default_parser()
    parser.parse(corpus_path("trials", "NCT03219801.txt").read_text(encoding="utf-8"))
    parsed = time.perf_counter() - started
    loaded = "criteria_nlp.knowledge.terminology" in sys.modules
    print(f"parse one protocol, cold: {parsed:.2f} s; terminology module imported by it: {loaded}")
    from criteria_nlp.knowledge import terminology

    before = _rss_mb()
    started = time.perf_counter()
    layer = terminology.load_terminology()
    seconds = time.perf_counter() - started
    print(
        f"terminology load, cold: {seconds:.2f} s; {len(layer.concepts):,} concepts; "
        f"peak memory (max RSS) {before:.0f} -> {_rss_mb():.0f} MB"
    )
    _table_costs(terminology)
    started = time.perf_counter()
    rounds = 300
    for _ in range(rounds):
        for text in _CRITERIA:
            layer.match_text(text)
    per_criterion = (time.perf_counter() - started) / (rounds * len(_CRITERIA))
    print(f"match_text: {per_criterion * 1e6:.0f} µs per criterion (tokenizer included)")
    return 0


def _table_costs(terminology: Any) -> None:
    """The tables parsed from the gzip files against read back from the disk cache (a scratch one, warm)."""
    import os
    import tempfile

    directory = terminology.corpus_path("terminology")
    words = terminology.read_word_roles(directory / "words.tsv")
    started = time.perf_counter()
    terminology.read_tables(directory, words)
    parsed = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        saved = os.environ.get("CRITERIA_NLP_CACHE")
        os.environ["CRITERIA_NLP_CACHE"] = scratch
        try:
            terminology.load_tables(directory, words)  # builds the entry
            started = time.perf_counter()
            _, cached = terminology.load_tables(directory, words)
            warm = time.perf_counter() - started
        finally:
            if saved is None:
                del os.environ["CRITERIA_NLP_CACHE"]
            else:
                os.environ["CRITERIA_NLP_CACHE"] = saved
    print(f"tables: parsed {parsed:.2f} s; from the disk cache {warm:.2f} s ({parsed / warm:.1f}x, read: {cached})")


if __name__ == "__main__":
    sys.exit(main())
