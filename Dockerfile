# The Python version CI tests (python3 of the CI machine: 3.11).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN useradd --create-home --uid 10001 bot

# Dependencies first, pinned by requirements.lock: this layer is reused until
# pyproject.toml or the lock changes, so a code change rebuilds only the layers below.
# Only the run-time dependencies are installed (not the test extra).
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/dependencies.txt \
    && pip install -c requirements.lock -r /tmp/dependencies.txt \
    && rm /tmp/dependencies.txt

# Then the code, installed without touching the dependencies.
COPY README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install --no-deps . && mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]

# Asks /healthz when HEALTH_PORT is set (gateway connected, database answering); without
# HEALTH_PORT the check passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]

CMD ["python", "-m", "bot"]
