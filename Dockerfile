# LANBoard's headless board server as a container image.
#
#   docker build -t lanboard .
#   docker run -d --name lanboard -p 8080:8080 -v lanboard-data:/data lanboard
#
# Then every device on the network opens http://<this machine's address>:8080/. Flags go after
# the image name (`... lanboard --name "Room 12"`); LANBOARD_* variables work as well (-e).
#
# mDNS needs the host's network: on Docker's default bridge network the container cannot
# announce lanboard.local or see other LANBoards, and the addresses it prints are the
# container's own. `docker run -d --network host -v lanboard-data:/data lanboard` gives it
# the host's interfaces (Linux hosts only). Reached by a host name rather than an address,
# the server must be told the name: -e LANBOARD_ALLOWED_HOSTS=boards.example.org
#
# Boards live in the /data volume. A bind mount (-v /srv/lanboard:/data) must be writable by
# uid 10001, the unprivileged user the server runs as.

# Build the wheel in a throwaway stage, so the image holds no sources or build tools.
FROM python:3.13-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY lanboard/ lanboard/
COPY static/ static/
COPY icons/ icons/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.13-slim-bookworm
# The wheel is mounted for this one step rather than copied, so no layer keeps it (RUN --mount
# needs BuildKit, the default builder since Docker 23).
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir /wheels/*.whl \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin lanboard \
    && mkdir -m 0700 /data \
    && chown lanboard:lanboard /data
ENV LANBOARD_HEADLESS=1 \
    LANBOARD_HOST=0.0.0.0 \
    LANBOARD_PORT=8080 \
    LANBOARD_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8080
# By number: a runtime that refuses root images (runAsNonRoot) can check it.
USER 10001:10001
WORKDIR /data
# The image has no curl; Python asks the server's own health endpoint.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LANBOARD_PORT', '8080') + '/api/health', timeout=4)"]
# SIGTERM (docker stop) saves every board and says goodbye to clients first.
STOPSIGNAL SIGTERM
ENTRYPOINT ["lanboard"]
