/**
 * How a state store holds the captured files — the one store-kind type of the project:
 *  - 'hardlink'     (`/hardlink /nocompress`): STORE\USMT\File\ holds hard links to the source files;
 *  - 'uncompressed' (`/nocompress`): STORE\USMT\File\ holds copies;
 *  - 'compressed'   (the default): one STORE\USMT\USMT.MIG file, optionally encrypted.
 *
 * The portable catalog (Catalog.json, format version 2) spells 'uncompressed' as 'mirror' on disk; that
 * spelling is a wire format and stays: `CatalogKind` and the two converters below are its only home.
 */
export type StoreKind = 'hardlink' | 'uncompressed' | 'compressed'

/** A store kind as written in Catalog.json's `meta.kind` ('mirror' = 'uncompressed'). */
export type CatalogKind = Exclude<StoreKind, 'uncompressed'> | 'mirror'

export function catalogKindOf(kind: StoreKind): CatalogKind {
  return kind === 'uncompressed' ? 'mirror' : kind
}

export function storeKindOf(kind: CatalogKind): StoreKind {
  return kind === 'mirror' ? 'uncompressed' : kind
}

/** The kind USMT's (and the portable tools') switches select. */
export function storeKindFromSwitches(o: { hardlink?: boolean; noCompress?: boolean }): StoreKind {
  return o.hardlink ? 'hardlink' : o.noCompress ? 'uncompressed' : 'compressed'
}
