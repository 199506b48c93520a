# syntax=docker/dockerfile:1
FROM python:3.11-slim AS base

COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /uvx /usr/local/bin/

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH" \
    DATABASE_URL="sqlite+aiosqlite:////data/switchboard.db" \
    PORT=8080

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock file changes. Only the runtime ones:
# no test tools, no sandbox (the local Google stand-in stays in the source checkout).
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-default-groups --no-install-project

# Then the application itself.
COPY app ./app
RUN uv sync --frozen --no-default-groups

# The server runs as this user. The container starts as root only so the entrypoint can hand a
# root-owned volume at /data (how Railway mounts volumes) to it, then drops privileges with setpriv.
# No VOLUME instruction: Railway refuses it; persistence is a Railway Volume mounted at /data.
RUN groupadd --system --gid 10001 switchboard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app switchboard \
    && mkdir -p /data && chown switchboard:switchboard /data
COPY docker/entrypoint.sh /usr/local/bin/switchboard-entrypoint
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8080\")}/health', timeout=4)"

# Exec form: the server is PID 1's direct replacement and gets SIGTERM; it reads $PORT itself.
ENTRYPOINT ["switchboard-entrypoint"]
CMD ["switchboard", "serve", "--host", "0.0.0.0"]
