"""SQLite storage: connection, migrations and one repository per aggregate."""

from storage.database import Database, SchemaTooNewError, StorageError

__all__ = ["Database", "SchemaTooNewError", "StorageError"]
