#!/bin/sh
# Start one part of the assistant in a container: rasa | actions | web | purge | forget SENDER,
# or any other command. Settings come from environment variables (docs/scaling.md).
set -euf  # -f: a CORS origin of "*" is not a file pattern

role="${1:-rasa}"
[ "$#" -gt 0 ] && shift

case "$role" in
  rasa)
    # CORS_ORIGINS: space-separated origins of the school pages that embed the widget (may be empty).
    # Rasa's command line with the speed-ups installed first (bot/speedups; BOT_SPEEDUPS=0 for stock Rasa).
    # shellcheck disable=SC2086
    exec python -m bot.speedups run \
      --model "${RASA_MODEL:-models/assistant.tar.gz}" \
      --port "${RASA_PORT:-5005}" \
      --enable-api --auth-token "${RASA_TOKEN:?set RASA_TOKEN}" \
      --endpoints "${RASA_ENDPOINTS:-deploy/endpoints.scale.yml}" \
      --credentials "${RASA_CREDENTIALS:-credentials.yml}" \
      "$@" --cors ${CORS_ORIGINS:-}
    ;;
  actions)
    # Listens on the container's network only; never publish this port.
    SANIC_HOST=0.0.0.0 exec rasa run actions --actions actions --port "${ACTION_PORT:-5055}" "$@"
    ;;
  web)
    exec python -m bot.web_server --host 0.0.0.0 --port "${WEB_PORT:-8080}" --root web \
      --rasa-url "${PUBLIC_URL:?set PUBLIC_URL}" "$@"
    ;;
  purge | forget)
    exec python -m bot.privacy.retention "$role" "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
