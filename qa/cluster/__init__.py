"""Index and answer on a Ray cluster, with the answers of one machine.

Optional (``pip install -e '.[cluster]'``); nothing here is imported unless ``--cluster`` (or
``QA_CLUSTER``) is given, so single-machine users never import Ray.

On disk, on storage every node reads (a shared folder):

    INDEX/
      CURRENT              the live cluster generation (replaced atomically, as in qa.store)
      .lock                held while a build writes
      gen-<stamp>/
        manifest.json      the global manifest (qa.store.Manifest: every file, passage ids global)
        cluster.json       the shards: folder, first global passage id, passage count, generation
        terms.faiss, term_hubness.npy, lexical_terms.json, lexical_df.npy, section_of.npy
                           the vocabulary and its corpus-wide statistics, held by the coordinator
        shard-000/ ...     each a normal index folder (qa.store.IndexStore: CURRENT, gen-*)

Files are split into shards whole and in the single-machine order, so shard k holds the global
passage ids [first_k, first_k + count_k): a passage's neighbours and section stay in its shard,
and ids, ties and citations are those of a one-machine index. BM25 weights are computed from
document frequencies and lengths over the whole corpus (one lexical build, sliced per shard), so
scores do not depend on the sharding.

Answering: one Ray actor per shard holds its FAISS vectors, postings and passage table. The
coordinator (the process running ``qa ask``) holds the vocabulary. ``ClusterIndex`` has the
attributes of ``qa.store.LoadedIndex``: each vector search fans out, every shard returns its own
top k with raw scores, and the merge keeps the global top k; the lexical match is the union of the
shards' matches. The unchanged ``Retriever`` and ``Answerer`` then run on it.

The parts: ``connection`` (Ray, imported only when asked for), ``layout`` (cluster.json, ``is_cluster_index``),
``executor`` (the Ray executor of one machine's build stages, qa.build_stages), ``build`` (``build_cluster_index``:
those stages with that executor and the shard writer; ``reshard``), ``shards`` (the shard actors, ``ClusterIndex``,
``cluster_loader``). Importing this package imports no Ray.
"""

from __future__ import annotations

from qa.cluster.build import ClusterReport, build_cluster_index, reshard
from qa.cluster.connection import ClusterUnavailable, connect
from qa.cluster.layout import (
    CLUSTER_FILE,
    CLUSTER_FORMAT,
    EMBED_BATCH,
    SHARD_RESTARTS,
    VECTOR_NAMES,
    ShardInfo,
    is_cluster_index,
    read_cluster,
)
from qa.cluster.shards import ClusterIndex, cluster_loader, shutdown_shards

__all__ = [
    "CLUSTER_FILE", "CLUSTER_FORMAT", "EMBED_BATCH", "SHARD_RESTARTS", "VECTOR_NAMES", "ClusterIndex", "ClusterReport",
    "ClusterUnavailable", "ShardInfo", "build_cluster_index", "cluster_loader", "connect",
    "is_cluster_index", "read_cluster", "reshard", "shutdown_shards",
]  # fmt: skip
