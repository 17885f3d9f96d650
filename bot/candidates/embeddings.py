"""Embeddings from the OpenAI-compatible endpoint (``/v1/embeddings`` on OPENAI_BASE_URL),
cached in the database by model and the hash of exactly the text embedded.

Only texts without a cached vector are sent, in batches. The text is a paper's title and
abstract: an embedding model does not follow instructions, so an abstract that says "ignore
previous instructions" is just more words to it. Failures end in
:class:`ServiceUnavailable`; the candidates then fall back to the lexical ranking.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import ServiceUnavailable
from storage.db import Database
from storage.models import PaperEmbedding

if TYPE_CHECKING:
    import numpy as np
    import openai

log = logging.getLogger(__name__)

BATCH = 64


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Embeddings:
    def __init__(
        self,
        db: Database,
        *,
        model: str | None,
        api_key: str | None,
        base_url: str | None,
        timeout: float = 60.0,
        attempts: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.db = db
        self.model = model
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.requests = 0
        self._api_key = api_key or None
        self._base_url = base_url or None
        self._client: openai.AsyncOpenAI | None = None

    def __repr__(self) -> str:  # never show the key
        return f"Embeddings(model={self.model!r}, base_url={self._base_url!r})"

    @property
    def enabled(self) -> bool:
        return self.model is not None and (self._api_key is not None or self._base_url is not None)

    def _client_or_new(self) -> openai.AsyncOpenAI:
        import openai  # imported on first use, like the LLM client

        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or "not-needed",
                base_url=self._base_url,
                timeout=self.timeout,
                max_retries=0,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (float32); cached vectors are read, the rest are asked for."""
        import numpy as np

        assert self.model is not None, "check .enabled first"
        hashes = [text_hash(t) for t in texts]
        async with self.db.unit() as uow:
            cached = await uow.candidates.embeddings(self.model, hashes)
        found = {h: np.frombuffer(row.vector, dtype="<f4") for h, row in cached.items()}
        missing = list(dict.fromkeys(h for h in hashes if h not in found))
        by_hash = dict(zip(hashes, texts, strict=True))
        new_rows: list[PaperEmbedding] = []
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            vectors = await self._embed([by_hash[h] for h in chunk])
            for h, vector in zip(chunk, vectors, strict=True):
                found[h] = vector
                new_rows.append(
                    PaperEmbedding(
                        model=self.model,
                        text_hash=h,
                        dimensions=len(vector),
                        vector=vector.astype("<f4").tobytes(),
                    )
                )
        if new_rows:
            async with self.db.unit() as uow:
                await uow.candidates.save_embeddings(new_rows)
        dims = {len(found[h]) for h in hashes}
        if len(dims) > 1:
            raise ServiceUnavailable(
                "The embedding model answered vectors of different sizes; check EMBEDDINGS_MODEL."
            )
        if not hashes:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)

    async def _embed(self, texts: list[str]) -> list[np.ndarray]:
        import numpy as np
        import openai

        client = self._client_or_new()
        assert self.model is not None
        for attempt in range(1, self.attempts + 1):
            self.requests += 1
            try:
                answer = await client.embeddings.create(model=self.model, input=texts)
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError):
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise ServiceUnavailable(
                    f"The embeddings endpoint did not answer ({attempt} tries)."
                ) from None
            except openai.APIError as exc:
                status = getattr(exc, "status_code", None)
                raise ServiceUnavailable(
                    f"The embeddings endpoint refused the request (HTTP {status or '?'}); check "
                    "EMBEDDINGS_MODEL."
                ) from None
            data = sorted(answer.data or [], key=lambda d: d.index)
            vectors = [np.asarray(d.embedding, dtype=np.float32) for d in data]
            if len(vectors) != len(texts) or any(v.ndim != 1 or v.size == 0 for v in vectors):
                raise ServiceUnavailable("The embeddings endpoint sent an answer I could not use.")
            if any(not np.all(np.isfinite(v)) for v in vectors):
                raise ServiceUnavailable(
                    "The embeddings endpoint sent vectors that are not numbers."
                )
            return vectors
        raise AssertionError("unreachable")  # pragma: no cover
