import { SmbclientTransport } from '/work/main/src/stores/smbclient.ts'
import { Readable } from 'node:stream'
const t = new SmbclientTransport({ unc: '\\\\127.0.0.1\\migstore\\sub', port: 44591, credentials: { username: 'smbtest', password: 'Passw0rd!', source: 'x' } })
await t.ensureDir('')
await t.ensureDir('a\\b')
try { await t.mkdir('a') } catch (e) { console.log('mkdir exists:', (e as Error).name, (e as {kind:string}).kind) }
await t.writeText('a/rec.json', '{"x":1}\n')
console.log('read', await t.readText('a/rec.json'), await t.readText('a/none.json'))
console.log('list', await t.list('a'))
console.log('stat', await t.stat('a/rec.json'), await t.stat('zz'))
await t.putStream(Readable.from([Buffer.from('hello '), Buffer.from('world')]), 'a/s.bin')
const g = t.getStream('a/s.bin'); const chunks: Buffer[] = []; for await (const c of g.stream) chunks.push(c as Buffer); await g.done; console.log('stream', Buffer.concat(chunks).toString())
console.log('space', await t.space())
try { await t.list('nope') } catch (e) { console.log('list nope', (e as {kind:string}).kind, (e as Error).message) }
await t.removeTree('a'); console.log('after deltree', await t.list(''))
const bad = new SmbclientTransport({ unc: '\\\\127.0.0.1\\migstore', port: 44591, credentials: { username: 'smbtest', password: 'nope', source: 'x' } })
try { await bad.probe() } catch (e) { console.log('auth', (e as {kind:string}).kind, (e as Error).message) }
const down = new SmbclientTransport({ unc: '\\\\127.0.0.1\\migstore', port: 44599, credentials: { username: 'smbtest', password: 'nope', source: 'x' } })
try { await down.probe() } catch (e) { console.log('down', (e as {kind:string}).kind, (e as Error).message) }
await t.close(); await bad.close(); await down.close()
