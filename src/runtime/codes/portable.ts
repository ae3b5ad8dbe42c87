import { defineCodes } from './types.js'

/** USM0200–USM0299: Stores and the portable scanstate/loadstate/usmtutils. */
export const PORTABLE_CODES = defineCodes({
  USM0200: { exit: 'usage', summary: 'An encryption key would appear on a USMT command line.', actions: ['Write the key to a protected key file and pass it with /keyfile: instead of /key:.'] },
  USM0201: { exit: 'usage', summary: 'The USMT options cannot be written as a command line.', actions: ['Remove the option named in the message; it is not valid for this USMT tool.'] },
  USM0202: { exit: 'usage', summary: 'The USMT options form an invalid combination (USMT would return code 11 or 12).', actions: ['Fix the options as the message says; the text is the one USMT documents for this combination.'] },
  USM0210: { exit: 'storeMissing', summary: 'The migration store is missing or was never marked complete.', actions: ['Check the store path; an interrupted capture leaves no complete store: run the capture again.'] },
  USM0211: { exit: 'storeIntegrity', summary: 'The migration store is not in a format this tool recognises.', actions: ['Point the tool at the top-level store folder (the one that holds USMT\\), written by usmt-steps scanstate.'] },
  USM0212: { exit: 'storeIntegrity', summary: 'The migration store is corrupted, truncated or was modified after capture.', actions: ['Run usmtutils /verify:all on the store to list the damaged files; capture again if the source still exists.'] },
  USM0213: { exit: 'storeIntegrity', summary: 'The migration store is encrypted and the key is missing or wrong.', actions: ['Pass the key used at capture with /decrypt /key: or /decrypt /keyfile:.'] },
  USM0214: { exit: 'config', summary: 'A key was given for a store that is not encrypted.', actions: ['Drop /decrypt, /key and /keyfile for this store.'] },
  USM0215: { exit: 'storeExists', summary: 'A migration store already exists at the store path.', actions: ['Pass /o to overwrite it, or choose another store path.'] },
  USM0216: { exit: 'io', summary: 'A hard-link store must be on the same volume as the data it links.', actions: ['Put the store on the volume that holds the user data (same device), or use a compressed store.'] },
  USM0217: { exit: 'storeIntegrity', summary: 'A path in the store catalog escapes its root (.., an absolute path or a device name).', actions: ['Do not restore this store: it was not written by usmt-steps or it was tampered with.'] },
  USM0218: { exit: 'io', summary: 'The migration store could not be read or written.', actions: ['Check that the store path exists, has free space and that the account can write there.'] },
  USM0219: { exit: 'config', summary: 'The encryption key could not be read.', actions: ['Check the /keyfile path and that the file holds at least one character.'] },
  USM0220: { exit: 'io', summary: 'The migration store could not be removed.', actions: ['Close programs that use files in the store and run usmtutils /rd again.'] },
  USM0221: { exit: 'config', summary: 'The store is compressed with zstd, which this Node.js runtime cannot read or write.', actions: ['Run usmt-steps with Node.js 22.15 or later (the Windows package ships one: run usmt-steps.cmd).', 'For a destination that must run an older Node.js, capture with storeCodec=deflate (USMTStepsStoreCodec / USMT_STEPS_STORE_CODEC).'] },
  USM0222: { exit: 'storeIntegrity', summary: 'The catalog of a hard-link or uncompressed store does not carry the seal its seal key expects: it was rewritten after the capture.', actions: ['Do not restore this store: files were added to or removed from its catalog after the capture. Capture again if the source still exists.', 'If the store was captured without a seal key (or with another one), restore it without --seal-key-file (USMTStepsStoreSealKey empty): the result then says the catalog was not checked against a seal.'] },
  USM0223: { exit: 'config', summary: 'The seal key of a hard-link or uncompressed store could not be read, or is too short.', actions: ['Check the --seal-key-file path: the file holds the key as text (at least 32 characters; scanstate creates one with a random 256-bit key when the file does not exist).'] },
})
