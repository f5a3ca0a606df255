"""Re-encrypt every encrypted column with the current key (the first of FIELD_ENCRYPTION_KEYS).

Rotation: put the new key first in the ring and keep the old ones after it, deploy, run this,
then remove the old keys. Rows already under the current key are skipped, so a run stopped
halfway is finished by running it again. ``--reindex`` recomputes the blind indexes, needed
after FIELD_BLIND_INDEX_KEY changes (searches miss until it has run). ``--status`` only counts.
"""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from arrears import encrypted_rows, encryption
from arrears.fields import blind_indexes


class Command(BaseCommand):
    help = "Re-encrypt personal identifiers with the current key; optionally rebuild blind indexes"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=encrypted_rows.BATCH)
        parser.add_argument(
            "--reindex", action="store_true", help="also recompute every blind index"
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="count the values not under the current key; exit 1 if there are any",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ring = encryption.key_ring()
        self.stdout.write(f"current key: {ring.current}; ring: {', '.join(ring.keys)}")
        batch = options["batch_size"]
        if batch < 1:
            raise CommandError("--batch-size must be at least 1")
        left = 0
        for model in apps.get_models():
            names = encrypted_rows.encrypted_fields(model)
            if not names:
                continue
            pending = encrypted_rows.pending_rotation(names, ring.current)
            if options["status"]:
                count = (
                    model._base_manager.annotate(**encrypted_rows.stored_text(names))
                    .filter(pending)
                    .count()
                )
                left += count
                self.stdout.write(f"{model._meta.label}: {count} rows under another key")
                continue
            started = time.monotonic()
            done = encrypted_rows.rewrite(
                model,
                names,
                encrypted_rows.reencrypt,
                pending=pending,
                batch_size=batch,
                progress=self._progress(model, "re-encrypted"),
            )
            self.stdout.write(
                f"{model._meta.label}: {done} rows re-encrypted "
                f"({', '.join(names)}) in {time.monotonic() - started:.1f} s"
            )
        if options["status"]:
            if left:
                raise CommandError(f"{left} rows still need rotate_field_keys")
            return
        if options["reindex"]:
            for model in apps.get_models():
                if not blind_indexes(model):
                    continue
                changed = encrypted_rows.reindex(
                    model, batch_size=batch, progress=self._progress(model, "indexed")
                )
                self.stdout.write(f"{model._meta.label}: {changed} blind indexes changed")

    def _progress(self, model: type[models.Model], verb: str) -> encrypted_rows.Progress:
        def report(done: int, total: int) -> None:
            self.stdout.write(f"  {model._meta.label}: {done}/{total} {verb}")

        return report
