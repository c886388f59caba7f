"""The vectors of each passage a build stores (``VECTOR_FILES``), and the models that encode them
(``Encoders``): ``embed_passages`` gives the four, each distinct text encoded once (``context_vectors``: all
but the dense ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from qa import tuning
from qa.crosslingual import MultilingualEncoder
from qa.documents import Passage, paragraph_texts, semantic_text
from qa.embedding import Embedder
from qa.semantic import SemanticEncoder

if TYPE_CHECKING:
    from qa.build_progress import Progress  # which reads VECTOR_FILES from here

# The vectors kept for each passage, in the order PreviousIndex.vectors_for returns them.
VECTOR_FILES = ("dense.faiss", "multilingual.faiss", "semantic.faiss", "paragraphs.faiss")


@dataclass
class Encoders:
    """The three models a build encodes passages with (build_index makes them; the cluster's workers too)."""

    dense: Embedder  # the sentence-transformers model
    multilingual: MultilingualEncoder  # USE: passages, and the vocabulary for cross-lingual matching
    semantic: SemanticEncoder  # the retrieval model: passages in context, and paragraphs
    # A paragraph of several passages encoded whole (True), or the mean of its passages' vectors (False).
    paragraphs_encoded: bool = field(default_factory=lambda: tuning.PARAGRAPHS_ENCODED)


def embed_passages(passages: list[Passage], encoders: Encoders, progress: Progress | None) -> list[np.ndarray]:
    """The four vectors of each passage (dense, multilingual, semantic, paragraph); no model loads for none."""
    if not passages:
        return [np.zeros((0, 0), dtype=np.float32) for _ in VECTOR_FILES]
    texts = [semantic_text(p) for p in passages]
    dense = encode_once(encoders.dense, texts, stage_progress(progress, "embedding passages", len(texts)))
    return [dense, *context_vectors(passages, encoders, progress)]


def context_vectors(passages: list[Passage], encoders: Encoders, progress: Progress | None) -> list[np.ndarray]:
    """The multilingual, semantic and paragraph vectors of ``passages`` (whole files: a paragraph is never cut),
    which embed_passages gives after the dense ones; the cluster's workers give them for a batch of files."""
    texts = [semantic_text(p) for p in passages]
    multi_new = encode_once(encoders.multilingual, texts, stage_progress(progress, "multilingual vectors", len(texts)))
    semantic_new = encode_once(encoders.semantic, texts, stage_progress(progress, "retrieval vectors", len(texts)))
    # A passage alone in its paragraph already has that vector. A paragraph of several passages is encoded
    # whole, or (tuning.PARAGRAPHS_ENCODED False) is the mean of its passages' vectors, each read in context.
    paragraphs, owner = paragraph_texts(passages)
    several = [k for k, (_, count) in enumerate(paragraphs) if count > 1]
    if encoders.paragraphs_encoded:
        several_vectors = encode_once(
            encoders.semantic,
            [paragraphs[k][0] for k in several],
            stage_progress(progress, "paragraph vectors", len(several)) if several else None,
        )
    else:
        several_vectors = mean_rows(semantic_new, owner, len(paragraphs))[several]
    first_passage = np.zeros(len(paragraphs), dtype=np.int64)
    first_passage[owner[::-1]] = np.arange(len(owner))[::-1]  # the last write for each paragraph is its first passage
    paragraph_vectors = semantic_new[first_passage]
    for k, vector in zip(several, several_vectors, strict=True):
        paragraph_vectors[k] = vector
    paragraph_new = paragraph_vectors[owner] if len(owner) else semantic_new
    return [multi_new, semantic_new, paragraph_new]


def stage_progress(progress: Progress | None, name: str, total: int):
    """The callback ``(done, total)`` of stage ``name`` of ``progress`` (shown at once, at 0 of ``total``), or None."""
    if not progress:
        return None
    progress(name, 0, total)  # the stage shows while its model loads
    return lambda done, total: progress(name, done, total)


def distinct_texts(texts: list[str]) -> tuple[list[str], list[int]]:
    """Each text once, in order of first appearance, and the row of each of ``texts`` among them."""
    distinct = list(dict.fromkeys(texts))
    row = {text: i for i, text in enumerate(distinct)}
    return distinct, [row[text] for text in texts]


def encode_once(encoder, texts: list[str], progress) -> np.ndarray:
    """``encoder.encode(texts)``, each distinct text encoded once: a page's header and footer, a note or a
    command repeated through a folder (5% of the passages of a folder of PDF manuals) cost one encoding."""
    distinct, rows = distinct_texts(texts)
    if len(distinct) == len(texts):
        return encoder.encode(texts, progress=progress)
    return encoder.encode(distinct, progress=progress)[rows]


def mean_rows(vectors: np.ndarray, owner: np.ndarray, groups: int) -> np.ndarray:
    """The L2-normalised mean of the rows of each group (``owner[i]``: the group of row i)."""
    sums = np.zeros((groups, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)
