"""Storage: models, repositories and migrations. Knows nothing of Discord."""

from storage.db import Database, StorageError

__all__ = ["Database", "StorageError"]
