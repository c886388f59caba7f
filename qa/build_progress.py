"""How a build reports its progress: ``Progress`` (stage, done, total), and ``WholeBuild``, one line for the
whole build, each stage weighed by what its items cost."""

from __future__ import annotations

from collections.abc import Callable

from qa.documents import Passage, paragraph_texts
from qa.passage_encoding import VECTOR_FILES

# (stage, done, total): the CLI draws it as a progress bar. A stage is announced
# at 0 before its model loads, so that a build shows progress from its first second.
Progress = Callable[[str, int, int], None]
# After the files are read, a build shows one line for the whole of its work (WholeBuild), in passages.
BUILD_STAGE = "indexing passages"
# What one item of each stage cost, in milliseconds, building the index of a 244 K-character folder of prose and
# code on 2 cores shared with other work (1,733 passages, 434 paragraphs of several, 2,820 new words): the
# weights of the stages in that line (their ratios are what matters), so that its rate is steady and its
# estimate the time left for the whole build.
_STAGE_COST_MS = {
    "embedding passages": 50.0,
    "multilingual vectors": 17.0,
    "retrieval vectors": 61.0,  # with the model's loading
    "paragraph vectors": 131.0,  # a whole paragraph: several passages' text
    "vocabulary vectors": 4.4,  # a word or two
    "writing the index": 140.0,  # a step (a file of vectors, the passage table, the switch)
}


class WholeBuild:
    """One progress line for the whole build instead of one per stage: ``BUILD_STAGE``, done out of ``passages``.

    Each stage's items count for what they cost (_STAGE_COST_MS), so that the line moves at a steady rate: its
    passages a second are the build's, and the time left is the whole build's. A stage it was not told about
    (reading the files, before the passages are known) shows as it is."""

    def __init__(self, progress: Progress, passages: int):
        self._progress = progress
        self._passages = passages
        self._work: dict[str, float] = {}
        self._finished = 0.0  # the work of the stages done
        self._stage = ""

    def plan(self, fresh: list[Passage], new_words: int, paragraphs_encoded: bool) -> None:
        """The work ahead: ``fresh`` passages to encode, ``new_words`` of the vocabulary; ``paragraphs_encoded``: the
        build's Encoders.paragraphs_encoded."""
        encoded = fresh and paragraphs_encoded  # else a paragraph's vector is its passages' mean: free
        several = sum(1 for _, count in paragraph_texts(fresh)[0] if count > 1) if encoded else 0
        items = {
            "embedding passages": len(fresh),
            "multilingual vectors": len(fresh),
            "retrieval vectors": len(fresh),
            "paragraph vectors": several,
            "vocabulary vectors": new_words,
            "writing the index": len(VECTOR_FILES) + 3,
        }
        self._work = {stage: _STAGE_COST_MS[stage] * count for stage, count in items.items()}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._work:
            self._progress(stage, done, total)
            return
        if stage != self._stage:
            self._finished += self._work.get(self._stage, 0.0)
            self._stage = stage
        if stage == "writing the index" and done >= total:
            shown = self._passages  # the last step: the build is done, whatever the estimates
        else:
            fraction = (self._finished + self._work[stage] * min(done / max(total, 1), 1.0)) / sum(self._work.values())
            shown = min(int(self._passages * fraction), self._passages - 1)
        self._progress(BUILD_STAGE, shown, self._passages)
