import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { policyFromObject } from '../../../src/plan/policy.js'
import { StoreService } from '../../../src/share-store/service.js'

type ServiceOptions = ConstructorParameters<typeof StoreService>[0]

/**
 * A share for the share-store specs: a local folder standing for the mounted share `\\srv\mig` (the fs transport,
 * the one a mounted share uses) and a local folder for downloads, made before each test of the calling `describe`
 * and removed after it. `service` opens the store service of `computer` on it with the policy's `stores` section.
 */
export function fsShare(): { readonly unc: string; readonly mount: string; readonly local: string; service(computer: string, stores: Record<string, unknown>, extra?: Partial<ServiceOptions>): StoreService } {
  const unc = '\\\\srv\\mig'
  let mount = ''
  let local = ''
  beforeEach(() => {
    mount = mkdtempSync(nodePath.join(os.tmpdir(), 'usmt-share-'))
    local = mkdtempSync(nodePath.join(os.tmpdir(), 'usmt-share-local-'))
  })
  afterEach(() => {
    rmSync(mount, { recursive: true, force: true })
    rmSync(local, { recursive: true, force: true })
  })
  return {
    unc,
    get mount() { return mount },
    get local() { return local },
    service: (computer, stores, extra = {}) => new StoreService({
      policy: policyFromObject(stores, 'test'), transport: 'fs', mounts: { [unc.toLowerCase()]: mount },
      computer: { computerName: computer, smbiosGuid: null, macAddresses: [] }, platform: 'linux', retryCount: 0, ...extra,
    }),
  }
}
