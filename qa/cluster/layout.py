"""A cluster index on disk: its constants, ``cluster.json`` (``ShardInfo``, ``read_cluster``) and
``is_cluster_index`` (which imports no Ray)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.errors import IndexUnavailable, QAError, loads_json
from qa.store import json_checksum  # the one-machine index's manifest hash, for cluster.json too

VECTOR_NAMES = ("dense", "multilingual", "semantic", "paragraphs")
CLUSTER_FILE = "cluster.json"
CLUSTER_FORMAT = 1
# Restarts of a shard actor (it reloads its shard from the shared storage) and retries of a call
# that a dying actor or node lost; beyond them the shard is reported unavailable.
SHARD_RESTARTS = 4
# Passages per embedding work item: whole files, about this many passages (a file is never split,
# so that its paragraphs are encoded as on one machine).
EMBED_BATCH = 512
GLOBAL_ARTIFACTS = ("terms.faiss", "term_hubness.npy", "lexical_terms.json", "lexical_df.npy", "section_of.npy")


@dataclass
class ShardInfo:
    name: str  # its folder in the cluster generation
    first: int  # its first global passage id
    count: int
    generation: str  # the shard's own live generation, as committed


def read_cluster(generation: Path) -> list[ShardInfo]:
    try:
        raw = loads_json((generation / CLUSTER_FILE).read_text(encoding="utf-8"))
        checksum = raw.pop("checksum")
        if checksum != json_checksum(raw) or raw.get("format") != CLUSTER_FORMAT:
            raise ValueError("checksum")
        shards = [ShardInfo(s["name"], int(s["first"]), int(s["count"]), s["generation"]) for s in raw["shards"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailable(
            f"the cluster index in {generation.parent} is damaged ({CLUSTER_FILE} unreadable):"
            f" rebuild with `qa index --cluster ADDRESS --index {generation.parent}`"
        ) from exc
    return shards


def is_cluster_index(folder: Path) -> bool:
    from qa.store import IndexStore

    try:
        generation = IndexStore(folder).live_generation()
        return generation is not None and (generation / CLUSTER_FILE).exists()
    except (QAError, OSError):
        return False  # whatever is wrong with the folder, the one-machine code says it
