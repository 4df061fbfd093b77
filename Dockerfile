# One image for every role (api, worker, training worker, init); the command picks the role.
# The image runs the project's wheel, the same one tests/test_packaging.py builds, installs
# outside the checkout and trains from: the model's data files travel as package data.

FROM python:3.11-slim AS wheel
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
# Every package of pyproject.toml's [tool.setuptools.packages.find] (tests/test_deployment_files.py).
COPY core ./core
COPY moderation ./moderation
COPY service ./service
COPY worker ./worker
COPY model ./model
COPY storage ./storage
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheel /wheels /wheels
# Installed, there is no checkout: the working directory stands in for it (core/config.py,
# home()), so VAR_DIR and MODEL_DIR default to /app/var, which the service's user may write.
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 moderation \
    && mkdir -p /app/var && chown moderation /app/var
WORKDIR /app
USER moderation
EXPOSE 8000
CMD ["moderation", "serve", "--port", "8000"]
