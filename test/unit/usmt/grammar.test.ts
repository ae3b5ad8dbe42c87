import { expect } from 'chai'
import {
  buildLoadStateArgs, buildScanStateArgs, buildUsmtUtilsArgs, parseLoadStateArgs, parseScanStateArgs, parseUsmtUtilsArgs, tokenize,
} from '../../../src/usmt/grammar.js'
import { UsmtFailure } from '../../../src/usmt/return-codes.js'
import { UsmtStepsError } from '../../../src/runtime/errors.js'

function failure(fn: () => unknown): UsmtFailure {
  try {
    fn()
  } catch (e) {
    if (e instanceof UsmtFailure) return e
    throw e
  }
  throw new Error('expected a UsmtFailure')
}

describe('usmt/grammar', () => {
  it('tokenizes / and - options case-insensitively and keeps POSIX paths positional', () => {
    const t = tokenize(['/I:MigDocs.xml', '-O', '/tmp/store', '/l:C:\\x.log', '/?'])
    expect(t.map((x) => x.name)).to.deep.equal(['i', 'o', undefined, 'l', '?'])
    expect(t[0].value).to.equal('MigDocs.xml')
    expect(t[3].value).to.equal('C:\\x.log')
  })

  it('parses the documented ScanState example', () => {
    const o = parseScanStateArgs(['\\\\server\\share\\migration\\mystore', '/i:MigApp.xml', '/i:MigDocs.xml', '/o', '/config:Config.xml', '/v:13', '/encrypt', '/key:mykey'])
    expect(o.storePath).to.equal('\\\\server\\share\\migration\\mystore')
    expect(o.include).to.deep.equal(['MigApp.xml', 'MigDocs.xml'])
    expect(o.overwrite).to.equal(true)
    expect(o.config).to.equal('Config.xml')
    expect(o.verbosity).to.equal(13)
    expect(o.encrypt).to.deep.equal({})
    expect(o.key).to.equal('mykey')
  })

  it('accepts a space separator for options with a required value, and -style options', () => {
    const o = parseScanStateArgs(['-l', 'scan.log', 'STORE', '-PROGRESS:p.log', '-HardLink', '-NoCompress', '/ue:*\\*', '/ui', 'fabrikam\\user2'])
    expect(o.log).to.equal('scan.log')
    expect(o.storePath).to.equal('STORE')
    expect(o.progress).to.equal('p.log')
    expect(o.hardlink && o.noCompress).to.equal(true)
    expect(o.ue).to.deep.equal(['*\\*'])
    expect(o.ui).to.deep.equal(['fabrikam\\user2'])
  })

  it('reads /p with and without a path, /encrypt with an algorithm, /efs, offline switches', () => {
    expect(parseScanStateArgs(['S', '/p']).estimate).to.deep.equal({})
    expect(parseScanStateArgs(['S', '/p:C:\\size.xml']).estimate).to.deep.equal({ path: 'C:\\size.xml' })
    expect(parseScanStateArgs(['S', '/encrypt:AES_256', '/keyfile:k.txt']).encrypt).to.deep.equal({ algorithm: 'AES_256' })
    const o = parseScanStateArgs(['S', '/efs:copyraw', '/offlineWinDir:D:\\Windows', '/uel:30'])
    expect(o.efs).to.equal('copyraw')
    expect(o.offlineWinDir).to.equal('D:\\Windows')
    expect(o.uel).to.equal('30')
  })

  it('parses LoadState /md /mu /lac /lae and keeps /md order', () => {
    const o = parseLoadStateArgs(['S', '/md:corporate:fabrikam', '/md:corporate:farnorth', '/mu:contoso\\user1:fabrikam\\user1', '/lac:P@ss', '/lae', '/decrypt', '/keyfile:k'])
    expect(o.md.map((m) => [m.from, m.to])).to.deep.equal([['corporate', 'fabrikam'], ['corporate', 'farnorth']])
    expect(o.mu[0]).to.include({ from: 'contoso\\user1', to: 'fabrikam\\user1' })
    expect(o.lac).to.deep.equal({ password: 'P@ss' })
    expect(o.lae).to.equal(true)
    expect(parseLoadStateArgs(['S', '/lac']).lac).to.deep.equal({})
  })

  const syntaxErrors: Array<[string, string[], string, number]> = [
    ['no arguments', [], 'Command line arguments are required. Specify /? for options.', 11],
    ['unknown option', ['S', '/bogus'], 'Command line option is not valid', 11],
    ['missing value', ['S', '/l'], 'An option argument is missing', 11],
    ['duplicate option', ['S', '/o', '/O'], 'An option is specified more than once and is ambiguous', 11],
    ['two store paths', ['S1', 'S2'], 'Settings store argument specified is invalid', 11],
    ['non-integer /r', ['S', '/r:x'], 'Retry argument must be an integer', 11],
    ['non-integer /w', ['S', '/w:1.5'], 'Wait delay argument must be an integer', 11],
    ['non-numeric /v', ['S', '/v:high'], 'Verbosity level must be specified as a sum of the desired log options: Verbose (0x01), Record Objects (0x04), Echo to debug port (0x08)', 11],
    ['empty /listfiles', ['S', '/listfiles:'], 'List file path argument is invalid for /listfiles', 11],
    ['empty /genconfig', ['/genconfig:'], 'File argument is invalid for /genconfig', 11],
    ['empty /genmigxml', ['/genmigxml:'], 'File argument is invalid for /genmigxml', 11],
    ['empty /offline', ['S', '/offline:'], '/offline requires a valid path to an XML file describing offline paths', 11],
    ['empty /offlinewindir', ['S', '/offlinewindir:'], '/offlinewindir requires a valid path to offline windows folder', 11],
    ['empty /offlinewinold', ['S', '/offlinewinold:'], '/offlinewinold requires a valid path to offline windows folder', 11],
    ['empty /efs', ['S', '/efs:'], 'EFS parameter specified is not valid for /efs', 11],
    ['empty /p path', ['S', '/p:'], 'Invalid space estimate path. Check the parameters and/or file system permissions', 11],
    ['empty /ue', ['S', '/ue:'], 'User exclusion argument is invalid', 11],
    ['value on a switch', ['S', '/o:yes'], 'Command line option is not valid', 11],
  ]
  for (const [name, argv, message, code] of syntaxErrors) {
    it(`ScanState syntax error: ${name}`, () => {
      const f = failure(() => parseScanStateArgs(argv))
      expect(f.message).to.equal(message)
      expect(f.returnCode).to.equal(code)
    })
  }

  it('marks the offending argument index', () => {
    expect(failure(() => parseScanStateArgs(['S', '/i:a.xml', '/bogus'])).argIndex).to.equal(2)
  })

  it('rejects ScanState-only options on LoadState and malformed /md /mu', () => {
    expect(failure(() => parseLoadStateArgs(['S', '/o'])).message).to.equal('Command line option is not valid')
    expect(failure(() => parseLoadStateArgs(['S', '/listfiles:x'])).message).to.equal('Command line option is not valid')
    expect(failure(() => parseLoadStateArgs(['S', '/md:contoso'])).message).to.equal('The source-to-target domain mapping is invalid for /md')
    expect(failure(() => parseLoadStateArgs(['S', '/mu:user1:'])).message).to.equal('The source-to-target user account mapping is invalid for /mu')
    expect(parseLoadStateArgs(['S', '/offline:o.xml']).offlineSwitch).to.equal('/offline')
  })

  it('parses UsmtUtils commands', () => {
    expect(parseUsmtUtilsArgs(['/rd', 'D:\\MyHardLinkStore', '/y'])).to.deep.equal({ command: 'rd', storeDir: 'D:\\MyHardLinkStore', yes: true })
    const v = parseUsmtUtilsArgs(['/verify:failureonly', 'D:\\MyMigrationStore\\store.mig', '/decrypt:AES_192', '/keyfile:D:\\encryptionKey.txt'])
    expect(v).to.include({ command: 'verify', report: 'failureonly', file: 'D:\\MyMigrationStore\\store.mig', keyFile: 'D:\\encryptionKey.txt' })
    const x = parseUsmtUtilsArgs(['/extract', 'D:\\s\\USMT\\store.mig', '/i:*.txt, *.pdf', 'C:\\ExtractedStore', '/e:*.exe', '/o'])
    expect(x).to.deep.include({ command: 'extract', destination: 'C:\\ExtractedStore', include: ['*.txt', '*.pdf'], exclude: ['*.exe'], overwrite: true })
    expect(parseUsmtUtilsArgs(['/verify', 'f.mig'])).to.include({ report: 'summary' })
    expect(failure(() => parseUsmtUtilsArgs(['/rd', 'a', '/verify', 'b'])).message).to.equal('A command was already specified')
    expect(failure(() => parseUsmtUtilsArgs(['/verify:bogus', 'f'])).message).to.equal('Command line option is not valid')
    expect(failure(() => parseUsmtUtilsArgs([])).returnCode).to.equal(11)
  })

  it('round-trips ScanState options through build and parse', () => {
    const argv = ['C:\\store', '/i:MigDocs.xml', '/i:MigApp.xml', '/config:Config.xml', '/ue:*\\*', '/ui:fabrikam\\user2', '/uel:30', '/o',
      '/encrypt:AES_256', '/keyfile:C:\\k.txt', '/localonly', '/efs:skip', '/listfiles:C:\\lf.txt', '/l:C:\\scan.log', '/progress:C:\\p.log', '/v:13', '/c', '/r:3', '/w:1']
    const o = parseScanStateArgs(argv)
    expect(buildScanStateArgs(o)).to.deep.equal(argv)
    expect(parseScanStateArgs(buildScanStateArgs(o))).to.deep.equal(o)
  })

  it('round-trips LoadState and UsmtUtils options', () => {
    const argv = ['C:\\store', '/i:MigDocs.xml', '/all', '/hardlink', '/nocompress', '/md:contoso:fabrikam', '/mu:contoso\\u1:fabrikam\\u1', '/lac', '/lae', '/l:C:\\load.log', '/v:5', '/c']
    expect(buildLoadStateArgs(parseLoadStateArgs(argv))).to.deep.equal(argv)
    const u = ['/verify:all', 'C:\\s\\USMT\\USMT.MIG', '/l:C:\\u.log', '/decrypt', '/keyfile:C:\\k.txt']
    expect(buildUsmtUtilsArgs(parseUsmtUtilsArgs(u))).to.deep.equal(u)
  })

  it('refuses an inline /key when building unless explicitly allowed', () => {
    const o = parseScanStateArgs(['S', '/encrypt', '/key:secret'])
    expect(() => buildScanStateArgs(o)).to.throw(UsmtStepsError, /inline \/key/)
    expect(buildScanStateArgs(o, { allowInlineKey: true })).to.include('/key:secret')
  })
})
