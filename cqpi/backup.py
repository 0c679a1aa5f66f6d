"""Backup and restore: one tar holding a database dump, the media files and a manifest of checksums.

The archive holds `database.pgdump` (pg_dump's custom format) or `database.sqlite3` (a copy
made with SQLite's backup API), every file of the media storage under `media/`, and
`manifest.json`: when and by which version it was made, the migrations applied, a few
counts, and the size and SHA-256 of every other member. A restore reads the whole archive
and checks every checksum before it touches the database or the media storage.

The media are read and written through Django's default storage, whichever it is: the
MEDIA_ROOT folder or the S3-compatible bucket (settings S3_BUCKET). A backup made on one
restores onto the other.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "cqpi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBER = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# What the manifest counts, and what a restore checks it got back.
COUNTED = {
    "certificates": "certifications.Certificate",
    "dossiers": "candidates.Dossier",
    "evidence_files": "candidates.EvidenceFile",
    "jury_sessions": "evaluations.JurySession",
    "users": "accounts.User",
}
_CHUNK = 1024 * 1024
# The libpq variables psql and pg_dump read, from Django's OPTIONS of the same name.
_PG_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass
class RestorePlan:
    manifest: dict[str, Any]
    database_tables: int
    media_files: int
    media_overwritten: list[str] = field(default_factory=list)
    unapplied_migrations: list[str] = field(default_factory=list)


# --- Where things are ----------------------------------------------------------------


def _connection() -> Any:
    return connections[DEFAULT_DB_ALIAS]


def _vendor() -> str:
    vendor = _connection().vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return str(vendor)


def _media_storage() -> Storage:
    return storages["default"]


def _describe(storage: Storage) -> str:
    """Where the media are, for the messages: a folder or a bucket."""
    if isinstance(storage, FileSystemStorage):
        return f"the folder {storage.location}"
    bucket = getattr(storage, "bucket_name", "")
    location = getattr(storage, "location", "")
    return f"the bucket {bucket}" + (f" (prefix {location})" if location else "")


def _pg_env() -> dict[str, str]:
    """libpq's environment for the Django connection: the password never on a command line."""
    db = _connection().settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    for option, variable in _PG_OPTIONS.items():
        if (db.get("OPTIONS") or {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client "
            f"(Debian: apt-get install postgresql-client), the same major version as the server."
        )
    return path


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _app_version() -> str:
    try:
        return metadata.version("cqpi")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Backup ----------------------------------------------------------------------------


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(_connection()).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _counts() -> dict[str, int]:
    return {key: apps.get_model(label).objects.count() for key, label in COUNTED.items()}


def _referenced_files() -> set[str]:
    """Every file name a FileField of the database points to."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{model_field.attname: ""})
                    .values_list(model_field.attname, flat=True)
                    .iterator()
                )
    names.discard(None)  # type: ignore[arg-type]
    return names


def _dump_database(target: Path) -> dict[str, Any]:
    """Dump the database into `target`; return the facts the manifest records about it.

    The counts, the migrations and the referenced files are read in the snapshot that
    pg_dump exports, so they describe exactly the dumped data.
    """
    vendor = _vendor()
    connection = _connection()
    with transaction.atomic():
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
                snapshot, server_version = cursor.fetchone()
            facts = {
                "migrations": _applied_migrations(),
                "counts": _counts(),
                "referenced_files": _referenced_files(),
                "server_version": server_version,
            }
            _run(
                [
                    _binary("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env=_pg_env(),
                what="pg_dump",
            )
        else:
            facts = {
                "migrations": _applied_migrations(),
                "counts": _counts(),
                "referenced_files": _referenced_files(),
                "server_version": sqlite3.sqlite_version,
            }
            source = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=ro", uri=True)
            destination = sqlite3.connect(target)
            try:
                # The backup API copies a consistent image even while others write.
                source.backup(destination)
            finally:
                destination.close()
                source.close()
    return facts


def _media_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name of the storage, sorted, walking its folders (S3: its prefixes)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    entries = [(name, False) for name in files] + [(name, True) for name in folders]
    for name, is_folder in sorted(entries):
        full = f"{folder}/{name}" if folder else name
        if is_folder:
            yield from _media_files(storage, full)
        elif not _is_symlink(storage, full):
            yield full


def _is_symlink(storage: Storage, name: str) -> bool:
    # A link in the media folder could point anywhere on the host: never archived.
    return isinstance(storage, FileSystemStorage) and os.path.islink(storage.path(name))


def _sha256_stored(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup_name(now: datetime.datetime) -> str:
    return f"cqpi-backup-{now:%Y%m%dT%H%M%SZ}.tar"


def backup_create(*, output: Path, log: Log) -> tuple[Path, dict[str, Any]]:
    """Write one tar: the database dump, every media file, and the manifest.

    `output` is a folder (the archive gets a dated name in it) or the archive's path.
    The file appears only when complete (written beside it, then renamed), readable by
    its owner only: it holds everyone's personal data.
    """
    vendor = _vendor()
    storage = _media_storage()
    now = datetime.datetime.now(datetime.UTC)
    if output.is_dir() or output.suffix != ".tar":
        output.mkdir(parents=True, exist_ok=True)
        output = output / backup_name(now)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        raise BackupError(f"{output} exists already: choose another name.")
    partial = output.with_name(output.name + ".partial")
    files: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="cqpi-backup-") as scratch:
        dump = Path(scratch) / DATABASE_MEMBER[vendor]
        log(f"Dumping the {vendor} database…")
        facts = _dump_database(dump)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                files[dump.name] = {"size": dump.stat().st_size, "sha256": _sha256_file(dump)}
                with dump.open("rb") as handle:
                    info = tarfile.TarInfo(dump.name)
                    info.size, info.mtime, info.mode = (
                        dump.stat().st_size,
                        int(now.timestamp()),
                        0o600,
                    )
                    tar.addfile(info, handle)
                log(f"Archiving the media files of {_describe(storage)}…")
                for relative in _media_files(storage):
                    with storage.open(relative, "rb") as handle:
                        data = handle.read()
                    name = MEDIA_PREFIX + relative
                    files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                    _add_bytes(tar, name, data, storage.get_modified_time(relative).timestamp())
                media = {
                    name[len(MEDIA_PREFIX) :] for name in files if name.startswith(MEDIA_PREFIX)
                }
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": now.isoformat(),
                    "app_version": _app_version(),
                    "database": {
                        "vendor": vendor,
                        "member": dump.name,
                        "server_version": facts["server_version"],
                    },
                    "migrations": facts["migrations"],
                    "migrations_head": {
                        app: names[-1] for app, names in facts["migrations"].items()
                    },
                    "counts": {**facts["counts"], "media_files": len(media)},
                    # Files the database names but the media folder lacked at backup time.
                    "missing_media": sorted(facts["referenced_files"] - media),
                    "files": files,
                }
                _add_bytes(
                    tar,
                    MANIFEST,
                    json.dumps(manifest, indent=2, sort_keys=True).encode(),
                    now.timestamp(),
                )
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    return output, manifest


# --- Restore ---------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        handle = tar.extractfile(member)
        assert handle is not None
        manifest = json.loads(handle.read())
    except (KeyError, AssertionError, ValueError) as exc:
        raise BackupError("Not a cqpi backup: its manifest.json is missing or unreadable.") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Unknown backup format {manifest.get('format')!r} "
            f"version {manifest.get('format_version')!r}."
        )
    return dict(manifest)


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _verify_archive(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member listed, safe, a plain file, of the recorded size and SHA-256."""
    expected: dict[str, dict[str, Any]] = manifest["files"]
    database_member = manifest["database"]["member"]
    seen: set[str] = set()
    problems: list[str] = []
    for member in tar:
        name = member.name
        if name == MANIFEST:
            continue
        if name in seen:
            problems.append(f"{name}: twice in the archive")
            continue
        seen.add(name)
        if not member.isfile() or not _safe_member_name(name):
            problems.append(f"{name}: not a plain file with a safe name")
            continue
        if name not in expected:
            problems.append(f"{name}: not in the manifest")
            continue
        if name != database_member and not name.startswith(MEDIA_PREFIX):
            problems.append(f"{name}: neither the database nor a media file")
            continue
        handle = tar.extractfile(member)
        assert handle is not None
        digest = hashlib.sha256()
        size = 0
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if size != expected[name]["size"] or digest.hexdigest() != expected[name]["sha256"]:
            problems.append(f"{name}: checksum mismatch")
    problems += [f"{name}: missing from the archive" for name in sorted(set(expected) - seen)]
    if database_member not in expected:
        problems.append(f"{database_member}: the database dump is not in the manifest")
    if problems:
        raise BackupError(
            "The archive is damaged; nothing was restored:\n  " + "\n  ".join(problems[:20])
        )


def _check_migrations(manifest: dict[str, Any]) -> list[str]:
    """Refuse a backup made by a newer version; return what `migrate` will have to apply."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(
            "This backup was made by a newer version of cqpi (migrations unknown here: "
            + ", ".join(f"{app}.{name}" for app, name in unknown[:10])
            + "). Restore it with that version or a later one."
        )
    return sorted(f"{app}.{name}" for app, name in known - applied)


def _existing_tables() -> list[str]:
    connection = _connection()
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def _media_conflicts(manifest: dict[str, Any], storage: Storage) -> list[str]:
    """Media files of the archive that exist in the storage with other content."""
    conflicts = []
    for name, facts in manifest["files"].items():
        if not name.startswith(MEDIA_PREFIX):
            continue
        target = name[len(MEDIA_PREFIX) :]
        if not storage.exists(target):
            continue
        try:
            same = _sha256_stored(storage, target) == facts["sha256"]
        except IsADirectoryError:
            same = False
        if not same:
            conflicts.append(target)
    return sorted(conflicts)


def restore_plan(*, tar: tarfile.TarFile, force: bool) -> RestorePlan:
    """Everything a restore checks before it touches anything; raises BackupError to refuse."""
    manifest = _read_manifest(tar)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"This backup holds a {manifest['database']['vendor']} database and this "
            f"installation uses {vendor}: restore it into the same kind of database."
        )
    _verify_archive(tar, manifest)
    unapplied = _check_migrations(manifest)
    tables = _existing_tables()
    if tables and not force:
        raise BackupError(
            f"The database is not empty ({len(tables)} tables): restore into a new, empty "
            f"database, or add --force to replace everything it holds."
        )
    conflicts = _media_conflicts(manifest, _media_storage())
    if conflicts and not force:
        raise BackupError(
            f"{len(conflicts)} media files exist with other content (first: {conflicts[0]}): "
            f"restore into an empty media folder or bucket, or add --force to overwrite them."
        )
    return RestorePlan(
        manifest=manifest,
        database_tables=len(tables),
        media_files=sum(1 for name in manifest["files"] if name.startswith(MEDIA_PREFIX)),
        media_overwritten=conflicts,
        unapplied_migrations=unapplied,
    )


def _copy_verified(source: IO[bytes], target: Path, sha256: str) -> None:
    """Write `target` through a temporary name, and only if the bytes are those recorded."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.restoring")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as handle:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != sha256:
            raise BackupError(f"{target.name} changed while it was being restored.")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _store_verified(source: IO[bytes], storage: Storage, name: str, sha256: str) -> None:
    """Put `name` in the storage under that exact name, only if the bytes are those recorded.

    The bytes are checked in a local spool first: nothing half-written or altered reaches
    the storage, whose files other hosts may be reading.
    """
    with tempfile.SpooledTemporaryFile(max_size=_CHUNK * 8) as spool:
        digest = hashlib.sha256()
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            spool.write(chunk)
        if digest.hexdigest() != sha256:
            raise BackupError(f"{name} changed while it was being restored.")
        spool.seek(0)
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(spool, name=PurePosixPath(name).name))
    if saved != name:
        raise BackupError(f"{name} was stored as {saved}: another process wrote the same name.")


def _restore_postgresql(dump: Path, tables: list[str]) -> None:
    """pg_restore's SQL, after dropping the tables there are, in ONE psql transaction."""
    connection = _connection()
    drops = "".join(
        f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE;\n" for table in tables
    )
    connection.close()
    env = _pg_env()
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        psql = subprocess.Popen(  # noqa: S603
            [
                _binary("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--file=-",
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_errors,
        )
        pg_restore = subprocess.Popen(  # noqa: S603
            [_binary("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        assert psql.stdin is not None and pg_restore.stdout is not None
        try:
            # A BrokenPipeError means psql stopped on an error: its status and messages tell.
            with suppress(BrokenPipeError):
                psql.stdin.write(drops.encode())
                shutil.copyfileobj(pg_restore.stdout, psql.stdin, _CHUNK)
        finally:
            pg_restore.stdout.close()
            with suppress(BrokenPipeError):
                psql.stdin.close()
        restore_status, psql_status = pg_restore.wait(), psql.wait()
        for status, errors, what in (
            (restore_status, restore_errors, "pg_restore"),
            (psql_status, psql_errors, "psql"),
        ):
            if status != 0:
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip()[-2000:]
                raise BackupError(
                    f"{what} failed ({status}); the database was left as it was: {message}"
                )


def _restore_sqlite(copy: Path) -> None:
    connection = _connection()
    target = Path(connection.settings_dict["NAME"])
    connection.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        # Replaces the whole content of the target, under its lock, WAL included.
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def restore_apply(*, tar: tarfile.TarFile, plan: RestorePlan, log: Log) -> dict[str, int]:
    """Put the media files in place, then replace the database; return the restored counts."""
    manifest = plan.manifest
    files = manifest["files"]
    storage = _media_storage()
    database_member = manifest["database"]["member"]
    with tempfile.TemporaryDirectory(prefix="cqpi-restore-") as scratch:
        log(f"Restoring {plan.media_files} media files into {_describe(storage)}…")
        dump = Path(scratch) / database_member
        for member in tar:
            if member.name == MANIFEST:
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            if member.name == database_member:
                _copy_verified(handle, dump, files[member.name]["sha256"])
            else:
                name = member.name[len(MEDIA_PREFIX) :]
                _store_verified(handle, storage, name, files[member.name]["sha256"])
        log(f"Restoring the {manifest['database']['vendor']} database…")
        # Media first: should the database step fail, the files are extra, never missing.
        tables = _existing_tables()
        if manifest["database"]["vendor"] == "postgresql":
            _restore_postgresql(dump, tables)
        else:
            _restore_sqlite(dump)
    restored = _counts_after_restore()
    expected = {key: manifest["counts"][key] for key in COUNTED if key in manifest["counts"]}
    if restored != expected:
        raise BackupError(f"The restored database counts {restored}, the backup {expected}.")
    return restored


def _counts_after_restore() -> dict[str, int]:
    # Raw counts: the restored schema may be older than these models until `migrate`.
    connection = _connection()
    counts = {}
    with connection.cursor() as cursor:
        for key, label in COUNTED.items():
            table = connection.ops.quote_name(apps.get_model(label)._meta.db_table)
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts[key] = cursor.fetchone()[0]
    return counts


@contextmanager
def open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed below, once opened)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Cannot read {path} as a tar archive: {exc}") from exc
    with tar:
        yield tar
