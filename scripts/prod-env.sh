# Sourced by the scripts that run the production settings on this machine (smoke-prod.sh,
# api-contract.sh): `prod_env DB BROKER_DB CACHE_DB` exports what a production server's
# environment holds, on loopback, with fresh secrets for each run (production refuses the
# development ones). Needs $PY.
prod_env() {
  export DJANGO_SETTINGS_MODULE=config.settings.production
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$1
  export CELERY_BROKER_URL=redis://127.0.0.1:6379/$2
  export CACHE_REDIS_URL=redis://127.0.0.1:6379/$3
  unset REDIS_URL
  SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
  AUDIT_HMAC_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
  # Phone and ID numbers encrypted at rest: a fresh key ring and blind-index key
  # (docs/deployment.md).
  FIELD_ENCRYPTION_KEYS=k1:$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
  FIELD_BLIND_INDEX_KEY=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
  export SECRET_KEY AUDIT_HMAC_KEY FIELD_ENCRYPTION_KEYS FIELD_BLIND_INDEX_KEY
  export ALLOWED_HOSTS=127.0.0.1,localhost
}
