"""Signed webhooks: admins register endpoints for domain events; Celery delivers, retries and logs."""
