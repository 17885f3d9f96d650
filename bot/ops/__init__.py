"""Operations: sharding across processes, the health and metrics endpoint, the doctor's
checks, copying the database and backups. Nothing here imports discord."""
