#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: the database into DATABASE_URL and the evidence
# files into MEDIA_ROOT. Stop web, the workers and beat first (systemctl stop arrears-web
# 'arrears-worker@*' arrears-beat, or docker compose stop with the services of
# docs/deployment.md, "Backups and restore"). Run it as the service
# user (sudo -u arrears --preserve-env=DATABASE_URL,MEDIA_ROOT …) so the files stay its own.
#
#   DATABASE_URL=postgres://arrears:…@127.0.0.1:5432/arrears MEDIA_ROOT=/var/lib/arrears/media \
#     scripts/restore.sh /var/backups/arrears/arrears-20260101-020000 --yes
#
# The database must exist (createdb -O arrears arrears); whatever it holds is replaced, in one
# transaction, so a restore that fails leaves it as it was. The current MEDIA_ROOT is kept
# beside it as MEDIA_ROOT.before-restore-<time> until you delete it. Afterwards run
# `manage.py migrate` (a backup from an older release) and start the services.
set -euo pipefail

usage() { echo "usage: DATABASE_URL=… MEDIA_ROOT=… $0 BACKUP_FOLDER --yes" >&2; exit 2; }
[ $# -ge 1 ] || usage
src=${1%/}
confirm=${2:-}
: "${DATABASE_URL:?set DATABASE_URL to the database to restore into}"
: "${MEDIA_ROOT:?set MEDIA_ROOT to the evidence files folder to restore into}"
[ -f "$src/db.dump" ] && [ -f "$src/media.tar.gz" ] || {
  echo "restore.sh: $src is not a backup folder (db.dump, media.tar.gz)" >&2; exit 2; }

# A damaged or incomplete copy is refused before anything is touched.
(cd "$src" && sha256sum --check --quiet SHA256SUMS)

if [ "$confirm" != "--yes" ]; then
  echo "This replaces the database ${DATABASE_URL##*@}" >&2
  echo "and the files in $MEDIA_ROOT with the backup $src. Run again with --yes to proceed." >&2
  exit 1
fi

umask 077
# --clean --if-exists: drop what the dump is about to create, so a restore over a database that
# already has the schema works as well as one into an empty database. --no-owner: the tables
# belong to whoever restores (the application's role), whatever role made the backup.
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$DATABASE_URL" "$src/db.dump"

# The files: unpacked beside MEDIA_ROOT first, then swapped in with two renames.
parent=$(dirname "$MEDIA_ROOT")
mkdir -p "$parent"
incoming=$(mktemp -d "$parent/.media-restore.XXXXXX")
trap 'rm -rf "$incoming"' EXIT
tar -C "$incoming" -xzf "$src/media.tar.gz"
if [ -e "$MEDIA_ROOT" ]; then
  kept=$MEDIA_ROOT.before-restore-$(date +%Y%m%d-%H%M%S)
  mv "$MEDIA_ROOT" "$kept"
  echo "restore.sh: the previous files are kept in $kept" >&2
fi
chmod 750 "$incoming"
mv "$incoming" "$MEDIA_ROOT"
trap - EXIT
echo "restore.sh: restored $src into the database and $MEDIA_ROOT" >&2
