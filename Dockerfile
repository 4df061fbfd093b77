# One image for every role (api, worker, training worker, init); the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY moderation ./moderation
COPY service ./service
COPY worker ./worker
COPY model ./model
COPY storage ./storage
RUN pip install --no-cache-dir . && useradd --system --uid 10001 moderation
USER moderation
EXPOSE 8000
CMD ["moderation", "serve", "--port", "8000"]
