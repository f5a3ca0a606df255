"""arrears: the shared kernel every domain app builds on — organisation and roles, the one
scoping function, the working-day calendar, deadlines, notifications, the outbox, background
jobs, configuration, the audit trail and identifier validation. It imports no domain app; the
project's configuration (settings, URLs, API router, Celery app) is the `config` package."""
