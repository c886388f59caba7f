"""What each signal earns: the ranking model refitted without it, on the leave-one-folder-out folds.

    .venv/bin/python bench/ablation.py --features FILE.npz [--index DIR]

FILE.npz: the features ``python -m qa.fit --features FILE.npz`` collected on the five development
folders (each candidate passage of each gold question, every signal). For each signal, its features are
set to a constant (so the ranker and the abstainer cannot read it) and the model is refitted as qa.fit
fits it: over the five folders, each left out in turn (the out-of-fold sum and calibration error), and on
the three folders the shipped model is fitted on, judged on the two it never sees (lilypond-fr,
pdf-manuals). This is an ablation of the ranking only: the candidates were drawn by every signal together,
so a signal that mostly finds candidates the others miss earns more than its line here says.

Its cost beside: the bytes its vector file takes in an index (``--index``: any index built by today's
``qa index``, e.g. ~/.cache/qa-proxy/indexes/geany from bench/proxy/run.sh), per passage.
The time each encoder takes per passage and per question is measured by bench/throughput.py
(``--encoders``) and bench/cold_start.py, not again here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa import fit as qafit  # noqa: E402
from qa.ranking import RANK_FEATURES  # noqa: E402
from qa.store import IndexStore  # noqa: E402

# Each signal, the RANK_FEATURES that read it, and the vector file that holds it in an index.
SIGNALS = {
    "multilingual-e5-small (retrieval model), passage in context": (("semantic", "semantic_gap"), "semantic.faiss"),
    "multilingual-e5-small, paragraph": (("paragraph", "paragraph_gap"), "paragraphs.faiss"),
    "all-MiniLM-L6-v2 (sentence-transformers)": (("dense",), "dense.faiss"),
    "USE multilingual": (("multilingual",), "multilingual.faiss"),
    "BM25": (("lexical",), "lexical_weights.npy"),
    "word coverage (cross-language vocabulary)": (("coverage", "context_coverage"), "terms.faiss"),
}
THREE = ("seeds", "python-tutorial", "debian-reference-fr")


def without(data, features: tuple[str, ...]):
    """The questions with these features' columns set to zero: nothing left for a fit to read."""
    columns = [RANK_FEATURES.index(name) for name in features]
    out = []
    for q in data:
        rows = q.rows.copy()
        rows[:, columns] = 0.0
        out.append(qafit.QuestionData(**{**q.__dict__, "rows": rows}))
    return out


def figures(data) -> dict:
    """Five-fold sum and calibration error; the three-folder fit's score on the two folders it never sees."""
    human = [q for q in data if not q.generated]
    model, folds = qafit.fit(human)
    right, asked = qafit.fold_sum(folds)
    top1, _ = qafit.fold_sum(folds, "top1")
    three = [q for q in human if q.corpus in THREE]
    unseen = [q for q in human if q.corpus not in THREE and not q.borrowed]
    shipped, _ = qafit.fit(three, corpora=list(THREE))
    seen_not = qafit.unseen_report(shipped, unseen)
    unseen_right, unseen_asked = qafit.fold_sum({k: v for k, v in seen_not.items() if isinstance(v, dict)})
    return {
        "five_folds": f"{right}/{asked}",
        "five_folds_top1": top1,
        "five_folds_calibration_error": model.fitted_on["calibration"]["expected_calibration_error"],
        "three_on_unseen": f"{unseen_right}/{unseen_asked}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--index", type=Path, help="an index built by today's qa index, for the bytes on disk")
    args = parser.parse_args()
    data = qafit.load_features(args.features)
    sizes, passages = {}, None
    if args.index:
        live = IndexStore(args.index).live_generation()
        passages = json.loads((live / "manifest.json").read_text())["passage_count"]
        sizes = {p.name: p.stat().st_size for p in live.iterdir()}
    results = {"all signals": figures(data)}
    print(f"{'signal left out':62s} {'5 folds':>8s} {'top1':>5s} {'ECE':>6s} {'3->unseen':>10s} {'B/passage':>10s}")
    line = results["all signals"]
    print(f"{'(none)':62s} {line['five_folds']:>8s} {line['five_folds_top1']:5d} "
          f"{line['five_folds_calibration_error']:6.3f} {line['three_on_unseen']:>10s}")  # fmt: skip
    for signal, (features, vector_file) in SIGNALS.items():
        line = figures(without(data, features))
        if passages and vector_file in sizes:
            line["bytes_per_passage"] = round(sizes[vector_file] / passages, 1)
        results[signal] = line
        per_passage = f"{line['bytes_per_passage']:10.1f}" if "bytes_per_passage" in line else f"{'':>10s}"
        print(f"{signal:62s} {line['five_folds']:>8s} {line['five_folds_top1']:5d} "
              f"{line['five_folds_calibration_error']:6.3f} {line['three_on_unseen']:>10s} {per_passage}")  # fmt: skip
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
