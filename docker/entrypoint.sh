#!/bin/sh
# Start as root only long enough to hand /data (a Railway Volume is mounted owned by root) to the
# app user, then run the server as that user. `exec` keeps the server PID 1, so SIGTERM from
# `docker stop` or a Railway redeploy reaches it and it drains gracefully.
set -eu
APP_USER=switchboard
DATA_DIR=${DATA_DIR:-/data}

if [ "$(id -u)" = "0" ]; then
  mkdir -p "$DATA_DIR"
  chown -R "$APP_USER:$APP_USER" "$DATA_DIR" 2>/dev/null || true
  if setpriv --reuid="$APP_USER" --regid="$APP_USER" --clear-groups test -w "$DATA_DIR"; then
    exec setpriv --reuid="$APP_USER" --regid="$APP_USER" --clear-groups -- "$@"
  fi
  echo "switchboard: $DATA_DIR cannot be made writable for the app user; running as root instead." >&2
  exec "$@"
fi

if [ -d "$DATA_DIR" ] && [ ! -w "$DATA_DIR" ]; then
  echo "switchboard: $DATA_DIR is not writable by UID $(id -u). Start the container as root (on Railway: set RAILWAY_RUN_UID=0) so it can hand the volume to the app user, or mount a volume this user owns." >&2
  exit 1
fi
exec "$@"
