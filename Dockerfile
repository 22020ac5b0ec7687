# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Local state from a developer checkout never goes into the image.
# var/metrics is where docker-compose.yml mounts the metrics volume, which starts with this owner.
RUN rm -rf .venv var && useradd --system --no-create-home opmodel && mkdir -p var/metrics && chown -R opmodel var
USER opmodel

EXPOSE 8000
CMD ["python", "-m", "opmodel", "web"]
