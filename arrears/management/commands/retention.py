"""Delete what is past its retention, in short chunks: old notifications, settled outbox
rows (`retention.*` settings), expired sessions — what the daily beat tasks do. The audit
trails are not touched here: they leave only through `audit_archive` (archive file first)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from arrears import retention


class Command(BaseCommand):
    help = "删除超过保存期限的通知、投递记录和过期会话 / Purge rows past their retention"

    def handle(self, *args: Any, **options: Any) -> None:
        notifications = retention.notifications_purge()
        self.stdout.write(f"notifications: {notifications} deleted")
        for label, count in retention.outbox_purge().items():
            self.stdout.write(f"{label}: {count} deleted")
        for label, count in retention.sessions_clear().items():
            self.stdout.write(f"{label}: {count} deleted")
