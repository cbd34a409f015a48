"""A notes vault kept in sync both ways: the Markdown export's marked regions read back into the sidecars.

A per-article Markdown export (:mod:`..markdown`) wraps each highlight's generated lines in
``<!-- reader:begin ID -->`` … ``<!-- reader:end ID -->`` (comments no viewer shows) and records in
``VAULT/.research-notes-reader/vault.json`` what it wrote (:mod:`.manifest`). :func:`.sync.sync_vault` then
carries the user's edits of notes and tags (and deleted highlights) back into the sidecars, three-way merged
(:mod:`.merge`), and rewrites the regions from the library, leaving the user's own text alone
(:mod:`.rewrite`, :mod:`.regions`).

Modules (each imports only those above it): :mod:`.regions`, :mod:`.manifest`, :mod:`.merge`,
:mod:`.rewrite`, :mod:`.sync`.
"""

from reader.core.exchange.vault.manifest import VaultError, manifest_path, read_manifest
from reader.core.exchange.vault.sync import SyncReport, sync_vault

__all__ = ["SyncReport", "VaultError", "manifest_path", "read_manifest", "sync_vault"]
