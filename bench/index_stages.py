"""Where `qa index` spends its time: each stage of a build timed alone, in one process, on one folder.

    .venv/bin/python bench/index_stages.py [--folder DIR] [--repeat N]

The stages are the ones qa.indexing runs (qa.build_stages), called the way it calls them: reading and splitting the files
(qa.build_stages.discover_sources and read_sources), each model's load, MiniLM (qa.embedding.SentenceTransformerEmbedder), USE
(qa.crosslingual), e5 of the passages in context and e5 of the paragraphs of several passages
(qa.passage_encoding), the vocabulary (qa.lexical.build, then USE of every word), and the writing of the
files into a temporary generation (the vectors of the stages above). Each encoder is warmed on a few passages before it is timed, so a load
is counted once, under its own line. Default folder: ../shared/eval/corpora/python-tutorial.

Prints one line a stage (seconds, share of the whole), then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT.parent / "shared" / "eval" / "corpora" / "python-tutorial"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def stages(folder: Path, repeat: int) -> dict[str, float]:
    from qa import tuning
    from qa.build_stages import InProcess, Vocabulary, discover_sources, read_sources, write_generation
    from qa.crosslingual import MultilingualEncoder
    from qa.documents import DEFAULT_MAX_FILE_BYTES, paragraph_texts, semantic_text
    from qa.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
    from qa.indexing import IndexReport, naming_bases
    from qa.passage_encoding import VECTOR_FILES, mean_rows
    from qa.semantic import SemanticEncoder
    from qa.store import IndexStore, Manifest

    times: dict[str, float] = {}

    def timed(name: str, work):
        best = None
        for _ in range(repeat):
            started = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - started
            best = seconds if best is None else min(best, seconds)
        times[name] = best
        return result

    folders = [folder]

    def read():
        report = IndexReport()
        found = discover_sources(folders, naming_bases(folders), DEFAULT_MAX_FILE_BYTES, report)
        return read_sources(found, DEFAULT_MAX_FILE_BYTES, report, InProcess(None), None)

    files = timed("reading and splitting", read)
    passages = [p for f in files for p in f.passages]
    texts = [semantic_text(p) for p in passages]
    paragraphs, owner = paragraph_texts(passages)
    several = [text for text, count in paragraphs if count > 1]

    started = time.perf_counter()
    dense = SentenceTransformerEmbedder(DEFAULT_MODEL)
    dense._load()
    times["MiniLM load"] = time.perf_counter() - started
    started = time.perf_counter()
    multilingual = MultilingualEncoder()
    multilingual._load()
    times["USE load"] = time.perf_counter() - started
    started = time.perf_counter()
    semantic = SemanticEncoder()
    e5 = semantic._batched_encoder() or semantic
    times["e5 load"] = time.perf_counter() - started
    for encoder in (dense, multilingual, e5):
        encoder.encode(texts[:8])

    dense_vectors = timed("MiniLM passages", lambda: dense.encode(texts))
    multi_vectors = timed("USE passages", lambda: multilingual.encode(texts))
    semantic_vectors = timed("e5 passages in context", lambda: e5.encode(texts))

    def paragraph_vectors():
        # what qa.passage_encoding does: each paragraph of several passages read whole by e5, or the mean of its
        # passages' vectors (tuning.PARAGRAPHS_ENCODED False); a passage alone keeps its own vector
        several_rows = [k for k, (_, count) in enumerate(paragraphs) if count > 1]
        if tuning.PARAGRAPHS_ENCODED:
            several_vectors = e5.encode([paragraphs[k][0] for k in several_rows])
        else:
            several_vectors = mean_rows(semantic_vectors, owner, len(paragraphs))[several_rows]
        out = semantic_vectors.copy()
        for k, vector in zip(several_rows, several_vectors, strict=True):
            out[owner == k] = vector
        return out

    label = "e5 paragraphs of several passages" if tuning.PARAGRAPHS_ENCODED else "paragraphs (mean of passages)"
    paragraph_new = timed(label, paragraph_vectors)
    languages = {f.source: f.language for f in files}
    vocabulary = timed("vocabulary (lexical build)", lambda: Vocabulary(passages, languages, None))
    word_vectors = timed("USE vocabulary vectors", lambda: multilingual.encode(vocabulary.missing))
    vectors = [dense_vectors, multi_vectors, semantic_vectors, paragraph_new]
    with tempfile.TemporaryDirectory(prefix="qa-stages-") as tmp:
        store = IndexStore(Path(tmp) / "index")

        def write():
            known = Vocabulary(passages, languages, None)
            known.known = dict(zip(known.missing, word_vectors, strict=True))
            known.missing = []
            term_vectors = known.term_vectors(multilingual, None)  # every word known: nothing is encoded
            manifest = Manifest(
                model=dense.name,
                dimension=int(vectors[0].shape[1]),
                splitter_version="",
                multilingual_model=multilingual.name,
                semantic_model=semantic.name,
                dense_index="",
                passage_count=len(passages),
                files={},
                folders=[str(folder)],
            )
            started = time.perf_counter()
            with store.locked(0.0):
                write_generation(store, manifest, passages, vectors, known.lexical, term_vectors)
            return time.perf_counter() - started

        times["writing the index"] = min(write() for _ in range(repeat))
    times["(passages)"] = len(passages)
    times["(paragraphs of several)"] = len(several)
    times["(new words)"] = len(vocabulary.missing)
    times["(characters)"] = sum(len(p.text) for p in passages)
    assert len(vectors) == len(VECTOR_FILES) and all(len(v) == len(passages) for v in vectors)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="(default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="time each stage N times, keep the fastest")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"index_stages: {args.folder} is not a folder", file=sys.stderr)
        return 2
    times = stages(args.folder.resolve(), args.repeat)
    total = sum(v for k, v in times.items() if not k.startswith("("))
    for name, value in times.items():
        if name.startswith("("):
            print(f"{name:40s} {int(value):8d}")
        else:
            print(f"{name:40s} {value:8.2f} s {100 * value / total:5.1f} %")
    print(f"{'all stages':40s} {total:8.2f} s")
    print(json.dumps({k: round(v, 3) for k, v in times.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
