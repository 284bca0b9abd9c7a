/** Catalog schema, version 1. The catalog indexes the packs; it can be rebuilt from them. */
/** 2: file maps are read from their blobs; the catalog no longer keeps a second copy. */
/** 3: a blob stored as a delta names its base (`base_id`, format 5); a version 2 catalog is upgraded in place. */
/**
 * 4: no index of blobs by pack. It was a third of the catalog (a pack id and a 32-byte id a blob:
 * 283 of 872 KiB after rxjs's 20 releases) and a second B-tree every insert wrote, for gc, verify
 * and push alone, which now scan the blobs once or walk a pack's own footer.
 */
/**
 * 5: a delta's base is named by the start of its id (BASE_PREFIX_BYTES, see Catalog.baseLocation): its
 * whole id was a third of a delta's row (127 of 540 KiB after rxjs's 20 releases). A whole id is a
 * prefix too, so the rows of a version 4 catalog stand as they are.
 */
export const CATALOG_SCHEMA_VERSION = 5;

/** Upgrades a catalog of an earlier version in place, each step in turn: from 2 (no delta indexed: every base is NULL), from 3, from 4. */
export const CATALOG_UPGRADES: Readonly<Record<string, string>> = {
  '2': 'ALTER TABLE blobs ADD COLUMN base_id BLOB',
  '3': 'DROP INDEX IF EXISTS blobs_by_pack',
  '4': 'SELECT 1',
};

export const CATALOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packs (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  size_bytes  INTEGER NOT NULL,
  frame_count INTEGER NOT NULL,
  blob_count  INTEGER NOT NULL
);
-- Every blob: data chunks, file maps, trees and commits, keyed by the BLAKE3 of its raw bytes.
CREATE TABLE IF NOT EXISTS blobs (
  id                  BLOB PRIMARY KEY,
  type                INTEGER NOT NULL,
  pack_id             INTEGER NOT NULL REFERENCES packs(id),
  frame_offset        INTEGER NOT NULL,
  frame_stored_length INTEGER NOT NULL,
  frame_raw_length    INTEGER NOT NULL,
  codec               INTEGER NOT NULL,
  offset_in_frame     INTEGER NOT NULL,
  length              INTEGER NOT NULL,
  base_id             BLOB -- the start of the id of the blob a Delta frame (codec 2) is compressed against, else NULL
) WITHOUT ROWID;
-- File id (BLAKE3 of the whole content) -> the FileMap blob listing its chunks.
CREATE TABLE IF NOT EXISTS files (
  id          BLOB PRIMARY KEY,
  size_bytes  INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  filemap_id  BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commits (
  id            BLOB PRIMARY KEY,
  tree_id       BLOB NOT NULL,
  parent_id     BLOB,
  author        TEXT NOT NULL,
  time_ms       INTEGER NOT NULL,
  message       TEXT NOT NULL,
  file_count    INTEGER NOT NULL,
  logical_bytes INTEGER NOT NULL
) WITHOUT ROWID;
`;
