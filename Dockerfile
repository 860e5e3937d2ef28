# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are built into the image and served by the app (WhiteNoise): nothing from
# the internet at run time. collectstatic needs a key to import settings, not a real one.
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 desk && mkdir -p /app/var && chown desk /app/var
USER desk

EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
