import { defineCodes } from './types.js'

/** USM0100–USM0199: Rule engine (migration XML, patterns, user selection). */
export const ENGINE_CODES = defineCodes({
  USM0100: { exit: 'config', summary: 'A migration XML or Config.xml file is not well-formed XML.', actions: ['Open the file at the line named in the message and fix the markup (an XML editor or `usmt-steps rules lint FILE` shows the spot).'] },
  USM0101: { exit: 'config', summary: 'A migration XML file is larger than the engine accepts.', actions: ['Migration XML is normally below 1 MB; check that the right file was passed, or raise USMT_STEPS_RULES_MAX_XML_BYTES.'] },
  USM0102: { exit: 'config', summary: 'The XML uses a DOCTYPE or entity the engine refuses (entity expansion is not allowed).', actions: ['Remove the <!DOCTYPE …[…]> internal subset and custom &entities; USMT migration XML never needs them.'] },
  USM0103: { exit: 'config', summary: 'The XML is nested deeper than the engine accepts.', actions: ['Check the file for runaway nesting; real migration XML is less than 20 levels deep.'] },
  USM0104: { exit: 'io', summary: 'A rule, Config.xml, users or attributes file could not be read.', actions: ['Check the path and that the file is readable.'] },
  USM0105: { exit: 'config', summary: 'The file is not a USMT migration XML file (root element is not <migration>).', actions: ['Pass migration XML (MigUser.xml, MigDocs.xml, MigApp.xml or a custom file) with --rules and a Config.xml with --config.'] },
  USM0106: { exit: 'config', summary: 'The Config.xml file is not valid.', actions: ['Its root element must be <Configuration>; regenerate it with `scanstate /genconfig` or fix the element named in the message.'] },
  USM0107: { exit: 'config', summary: 'The --users file is not valid.', actions: ['Write a JSON array of {"account":"DOMAIN\\\\name","profile":"C:\\\\Users\\\\name","sid"?:"S-1-…","lastUse"?:"2024-05-01T08:00:00Z"}.'] },
  USM0108: { exit: 'usage', summary: 'The user-selection options cannot be combined that way.', actions: ['/all cannot be combined with /ui, /ue or /uel (USMT rejects it too); drop one of them.'] },
  USM0109: { exit: 'usage', summary: 'The /uel value is not valid.', actions: ['Use a number of days (/uel:30), 0, or a date written yyyy/mm/dd (/uel:2024/02/15).'] },
  USM0110: { exit: 'config', summary: 'The rule files have errors.', actions: ['Fix the errors listed by `usmt-steps rules lint` (each names the file and line).'] },
  USM0111: { exit: 'usage', summary: 'No Windows volume was given, or the system drive is not mapped.', actions: ['Map at least the system drive, for example --volume C=./samples/machine/C.'] },
  USM0112: { exit: 'io', summary: 'A mapped volume folder does not exist or is not a folder.', actions: ['Check the DIR part of --volume/--removable LETTER=DIR.'] },
  USM0113: { exit: 'usage', summary: 'The path to explain is not a Windows path on a mapped volume.', actions: ['Give a Windows path such as C:\\Users\\ann\\Documents\\a.docx whose drive is mapped with --volume or --removable.'] },
  USM0114: { exit: 'config', summary: 'The --attributes file is not valid.', actions: ['Write a JSON object mapping Windows paths to attribute letters, for example {"C:\\\\Users\\\\ann\\\\Documents\\\\desktop.ini":"HS"}.'] },
  USM0115: { exit: 'config', summary: 'A rule, config or users file is not valid text in its encoding (invalid UTF-8 bytes).', actions: ['Open the file named in the message at the byte offset it gives and fix or remove the bytes, or save the file as UTF-8 (or UTF-16 with a byte-order mark).'] },
})
