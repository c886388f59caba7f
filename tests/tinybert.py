"""A tiny random BERT model folder (mean pooling, sentence-transformers layout), made in a moment without torch.

NumpyBertEncoder reads it exactly as it reads all-MiniLM-L6-v2: config.json,
1_Pooling/config.json, modules.json, model.safetensors and tokenizer.json. Its
vectors mean nothing; the tests use it for the cache of prepared weights and for
damaged model folders.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HIDDEN, LAYERS, HEADS, INNER = 8, 2, 2, 16
WORDS = ["when", "was", "deepseek", "launched", "quand", "lancée", "janvier", "2025", "?"]


def make_tiny_bert(folder: Path, seed: int = 0) -> Path:
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    rng = np.random.default_rng(seed)

    def weight(*shape):
        return rng.standard_normal(shape).astype(np.float32) * 0.2

    tensors = {
        "embeddings.word_embeddings.weight": weight(len(vocab), HIDDEN),
        "embeddings.position_embeddings.weight": weight(32, HIDDEN),
        "embeddings.token_type_embeddings.weight": weight(2, HIDDEN),
        "embeddings.LayerNorm.weight": np.ones(HIDDEN, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(HIDDEN, np.float32),
    }
    for i in range(LAYERS):
        layer = f"encoder.layer.{i}."
        for part in ("query", "key", "value"):
            tensors[f"{layer}attention.self.{part}.weight"] = weight(HIDDEN, HIDDEN)
            tensors[f"{layer}attention.self.{part}.bias"] = weight(HIDDEN)
        tensors[f"{layer}attention.output.dense.weight"] = weight(HIDDEN, HIDDEN)
        tensors[f"{layer}attention.output.dense.bias"] = weight(HIDDEN)
        tensors[f"{layer}attention.output.LayerNorm.weight"] = np.ones(HIDDEN, np.float32)
        tensors[f"{layer}attention.output.LayerNorm.bias"] = np.zeros(HIDDEN, np.float32)
        tensors[f"{layer}intermediate.dense.weight"] = weight(INNER, HIDDEN)
        tensors[f"{layer}intermediate.dense.bias"] = weight(INNER)
        tensors[f"{layer}output.dense.weight"] = weight(HIDDEN, INNER)
        tensors[f"{layer}output.dense.bias"] = weight(HIDDEN)
        tensors[f"{layer}output.LayerNorm.weight"] = np.ones(HIDDEN, np.float32)
        tensors[f"{layer}output.LayerNorm.bias"] = np.zeros(HIDDEN, np.float32)
    save_file(tensors, str(folder / "model.safetensors"))

    config = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "hidden_size": HIDDEN,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "intermediate_size": INNER,
        "layer_norm_eps": 1e-12,
        "vocab_size": len(vocab),
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": HIDDEN, "pooling_mode_mean_tokens": True})
    )
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ]
        )
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 32}))
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder
