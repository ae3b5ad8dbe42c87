/**
 * USMT.MIG — the compressed store container of usmt-steps. This is usmt-steps' own format, documented in
 * the README ("Portable USMT"); it is NOT Microsoft's .MIG format and Microsoft's tools cannot read it.
 *
 *   header (128 bytes)  magic "USMTSMIG", version (1: DEFLATE frames; 2: the codec is named at byte 104;
 *                       3: as 2, encrypted, no digest of the stored frames), flags (bit 0: encrypted), KDF id
 *                       and parameters, 16-byte store id, 32-byte salt, 32-byte key check, frame size, codec
 *                       (versions 2 and 3: 0 DEFLATE, 1 zstd)
 *   frames              per file, one or more frames: u32 LE payload length, u8 flags
 *                       (bit 0 compressed with the container's codec, bit 1 last frame of the file), payload
 *                       (raw DEFLATE, a zstd frame or stored bytes; when encrypted AES-256-GCM ciphertext
 *                       followed by the 16-byte tag)
 *   catalog block       u32 LE length, u8 flags, payload: the catalog JSON, raw DEFLATE, encrypted as above
 *   trailer (64 bytes)  magic "USMTSEND", u64 catalog offset, u64 catalog block length, u64 file count,
 *                       32-byte digest of header + catalog block + the first 32 trailer bytes:
 *                       HMAC-SHA256 with the store's MAC key when encrypted, SHA-256 otherwise
 *
 * Frame nonces are 4 zero bytes + the u64 BE index of the frame in the container (the catalog uses the
 * prefix FF FF FF FF); keys are unique per store (random salt), so nonces never repeat under one key. The
 * frame's AAD binds it to the store id, its file's first frame index, its position in the file and its
 * flags, so frames cannot be reordered, moved between files or truncated unnoticed. The catalog records
 * for each file the SHA-256 of its content and, in versions 1 and 2, of its stored frames. Version 3 (what an
 * encrypted zstd capture writes) leaves the stored-frames digest out (empty in the catalog): there every frame
 * is authenticated by its GCM tag under that nonce and AAD, and the authenticated catalog fixes each file's
 * first frame and frame count, so the digest checked nothing the tags do not — and cost a SHA-256 pass over
 * the whole store on each side. The content SHA-256 stays in every version (the restore's proof needs it).
 *
 * The codec is zstd (level 3) where the runtime has it (node:zlib from Node 22.15; the Windows package ships
 * such a Node) and DEFLATE otherwise; a zstd container is version 2 or 3, so an older usmt-steps refuses it as
 * a store of another version (USM0211) instead of misreading it, and a runtime without zstd refuses it with
 * USM0221. DEFLATE containers (version 1, every store written before zstd, encrypted or not) stay readable
 * everywhere; versions 1 and 2 are still read, with their stored-frames digests checked.
 *
 * The format's shared parts are in container-format.ts, the writer in container-writer.ts, the reader in
 * container-reader.ts (its one-read decode in container-decode.ts); this module is their public face. Frame work
 * runs on worker threads (frame-workers.ts): the main thread reads each frame into a reused shared-memory slot
 * and writes the workers' output from the same slot; workers compress with one reused zstd context and encrypt.
 * A capture hashes each file's content on the main thread as it reads it. A restore reads the container once:
 * every frame is authenticated (encrypted stores) and decompressed on the workers, every file's content hashed on
 * a digest thread (digest-thread.ts) while the main thread writes it, and checked (and, versions 1 and 2, its
 * stored bytes) against the catalog before the file counts as restored.
 */
export { HEADER_SIZE, MIG_END, MIG_MAGIC, resolveCodec, simulateNoZstd, TRAILER_SIZE, ZSTD_DEFAULT_LEVEL, zstdAvailable, type MigEntry, type StoreCodec } from './container-format.js'
export { ContainerReader, type VerifyFileResult } from './container-reader.js'
export { ContainerWriter, type ContainerWriterOptions } from './container-writer.js'
