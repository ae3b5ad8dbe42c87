import { expect } from 'chai'
import { selectAtRestore } from '../../../src/portable/loadstate.js'

const NOW = new Date('2025-06-01T12:00:00Z')
const users = {
  ann: { account: 'PC\\ann', lastUse: '2025-05-20T08:30:00.000Z', sid: 'S-1-5-21-1-2-3-1001' },
  jdoe: { account: 'CONTOSO\\jdoe', lastUse: '2025-05-28T16:45:00.000Z' },
  old: { account: 'PC\\olduser', lastUse: '2024-10-01T09:00:00.000Z' },
  unknown: { account: 'PC\\legacy' },
}
const opts = (o: { ui?: string[]; ue?: string[]; uel?: string }): { ui: string[]; ue: string[]; uel?: string } => ({ ui: o.ui ?? [], ue: o.ue ?? [], uel: o.uel })
const picked = (o: Parameters<typeof opts>[0]): string[] => Object.values(users).filter((u) => selectAtRestore(u, opts(o), 'PC', NOW).migrated).map((u) => u.account)

describe('portable/loadstate: user selection at restore (/ui, /ue, /uel)', () => {
  it('restores everyone by default and honours /ue (bare names are local accounts of the source computer)', () => {
    expect(picked({})).to.deep.equal(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser', 'PC\\legacy'])
    expect(picked({ ue: ['ann'] })).to.deep.equal(['CONTOSO\\jdoe', 'PC\\olduser', 'PC\\legacy'])
    expect(picked({ ue: ['*\\*'], ui: ['contoso\\*'] })).to.deep.equal(['CONTOSO\\jdoe'])
    expect(selectAtRestore(users.ann, opts({ ue: ['PC\\ann'] }), 'PC', NOW)).to.deep.equal({ migrated: false, reason: 'excluded by /ue:PC\\ann' })
  })

  it('/uel:N counts days back from now against the last use recorded at capture', () => {
    expect(picked({ uel: '10' })).to.deep.equal(['CONTOSO\\jdoe'])
    expect(picked({ uel: '30' })).to.deep.equal(['PC\\ann', 'CONTOSO\\jdoe'])
    expect(picked({ uel: '365' })).to.deep.equal(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser'])
    expect(selectAtRestore(users.old, opts({ uel: '30' }), 'PC', NOW).reason).to.equal('last used 2024-10-01T09:00:00.000Z, outside /uel:30')
  })

  it('/uel:yyyy/mm/dd keeps users who used the computer on or after that day', () => {
    expect(picked({ uel: '2025/05/21' })).to.deep.equal(['CONTOSO\\jdoe'])
    expect(picked({ uel: '2024/1/1' })).to.deep.equal(['PC\\ann', 'CONTOSO\\jdoe', 'PC\\olduser'])
  })

  it('/ui wins over /uel; /ue has no effect once /uel is given; /uel:0 selects nobody (offline capture)', () => {
    expect(picked({ uel: '10', ui: ['PC\\olduser'] })).to.deep.equal(['CONTOSO\\jdoe', 'PC\\olduser'])
    expect(picked({ uel: '10', ue: ['contoso\\jdoe'] })).to.deep.equal(['CONTOSO\\jdoe'])
    expect(picked({ uel: '0' })).to.deep.equal([])
    expect(picked({ uel: '0', ui: ['S-1-5-21-1-2-3-1001'] })).to.deep.equal(['PC\\ann'])
  })

  it('a user without a recorded last use (a store from an older capture) is not restored under /uel, and says why', () => {
    expect(selectAtRestore(users.unknown, opts({ uel: '3650' }), 'PC', NOW)).to.deep.equal({ migrated: false, reason: '/uel:3650: the store records no last use for PC\\legacy' })
  })
})
