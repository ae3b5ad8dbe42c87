// Runs the portable scanstate in a child process (the interrupted-capture test kills it mid-way).
// argv: C=DIR STORE RULES [USMT args…]
import { runScanState } from '../../../src/portable/scanstate.js'
import { VolumeMap } from '../../../src/windows/volume-map.js'

const [vol, ...usmt] = process.argv.slice(2)
const r = await runScanState({ argv: usmt, cwd: process.cwd(), volumes: VolumeMap.parse([vol]), computer: 'PC', version: 'child', out: () => undefined })
process.exitCode = r.returnCode
