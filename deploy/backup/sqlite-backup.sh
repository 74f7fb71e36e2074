#!/bin/sh
# Online, consistent backup of Cairn's SQLite database, with rotation.
#
# `sqlite3 DB ".backup FILE"` copies the database through SQLite's backup API inside one read
# transaction: Cairn keeps serving (WAL mode: readers don't block its writer) and the copy is the
# database as of one commit, WAL included. Copying cairn.db with cp while Cairn runs is NOT a backup.
#
#   CAIRN_DB           the database file          (default /var/lib/cairn/cairn.db)
#   CAIRN_BACKUP_DIR   where backups go           (default /var/backups/cairn)
#   CAIRN_BACKUP_KEEP  how many backups to keep   (default 14)
#
# Writes $CAIRN_BACKUP_DIR/cairn-YYYYMMDDTHHMMSSZ.db.gz after checking the copy's integrity, then
# deletes all but the newest $CAIRN_BACKUP_KEEP. Run it as the user that owns the database (cairn),
# from cron or deploy/backup/cairn-backup.timer. Needs sqlite3 and gzip. Restore: docs/deploying.md, "SQLite backups".
set -eu

DB=${CAIRN_DB:-/var/lib/cairn/cairn.db}
DEST=${CAIRN_BACKUP_DIR:-/var/backups/cairn}
KEEP=${CAIRN_BACKUP_KEEP:-14}

case $KEEP in '' | *[!0-9]* | 0) echo "sqlite-backup: CAIRN_BACKUP_KEEP must be a number of backups, 1 or more" >&2; exit 1 ;; esac
[ -f "$DB" ] || { echo "sqlite-backup: no database at $DB (set CAIRN_DB)" >&2; exit 1; }
case $DEST in *"'"*) echo "sqlite-backup: CAIRN_BACKUP_DIR must not contain a single quote" >&2; exit 1 ;; esac

umask 077
mkdir -p "$DEST"
out="$DEST/cairn-$(date -u +%Y%m%dT%H%M%SZ).db"
tmp="$out.partial"
trap 'rm -f "$tmp" "$tmp.gz"' EXIT

sqlite3 "$DB" ".timeout 10000" ".backup '$tmp'"
check=$(sqlite3 "$tmp" "PRAGMA integrity_check;")
if [ "$check" != "ok" ]; then
  echo "sqlite-backup: the copy failed its integrity check: $check" >&2
  exit 1
fi
gzip -9 "$tmp"
mv "$tmp.gz" "$out.gz"
echo "sqlite-backup: $out.gz ($(wc -c < "$out.gz") bytes)"

# Rotation: names sort by time (UTC stamps), so keep the last $KEEP.
ls -1 "$DEST"/cairn-*.db.gz | sort -r | tail -n +"$((KEEP + 1))" | while read -r old; do
  rm -f -- "$old"
  echo "sqlite-backup: removed $old"
done
