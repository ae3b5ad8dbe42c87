import { defineCodes } from './types.js'

/** USM0400–USM0499: Store planning and share-based state stores. */
export const STORES_CODES = defineCodes({
  USM0400: { exit: 'config', summary: 'The store policy file is invalid.', actions: ['Fix the policy file named in the message (JSON or YAML; see the README section "Plan and stores").'] },
  USM0401: { exit: 'config', summary: 'The facts file is invalid.', actions: ['Fix the facts file (shape: {"inWinPE","systemDrive","profilesVolume","volumes":[…],"estimateBytes"}), or drop --facts to probe this machine.'] },
  USM0402: { exit: 'noStore', summary: 'A network store is needed but none is configured.', actions: ['Set UDShare (and UDDir), list shares in the policy file, or run under ConfigMgr with a state migration point.'] },
  USM0403: { exit: 'noStore', summary: 'A local hard-link store is not possible here and falling back to a network store is not allowed.', actions: ['Read the reasons in the decision record; set UserDataLocation=AUTO or fallbackToNetwork: true in the policy to allow a network store, or free space on the profiles volume.'] },
  USM0404: { exit: 'noStore', summary: 'The policy allows no store type that fits this machine.', actions: ['Check allowedStores in the policy file against the rejected alternatives in the decision record.'] },
  USM0405: { exit: 'profilesAtRisk', summary: 'Profiles that cannot be resolved would be lost and the policy stops here.', actions: ['Remove or re-own the profiles listed in the message, or set unresolvableProfiles: warn in the policy to accept the loss.'] },
  USM0406: { exit: 'io', summary: 'The machine facts could not be gathered.', actions: ['Pass --facts FILE, or map the volumes with --volume C=DIR on Linux; on Windows check that powershell.exe or cscript.exe runs.'] },
  USM0407: { exit: 'config', summary: 'A store path variable is invalid.', actions: ['Give a UNC path \\\\server\\share\\folder or a local folder that is not a drive root.'] },
  USM0410: { exit: 'storeUnavailable', summary: 'No share of the policy is reachable, below its client limit and above its free-space minimum.', actions: ['Check the shares named in the message (server up, share name, free space, maxClients), then rerun; raise OSDStateSMPRetryCount/OSDStateSMPRetryTime for transient outages.'] },
  USM0411: { exit: 'storeUnavailable', summary: 'The share refused the credentials.', actions: ['Check UserID/UserDomain/UserPassword (MDT) or the network access account, and that the account may write to the share.'] },
  USM0412: { exit: 'storeUnavailable', summary: 'A transfer to or from the share failed.', actions: ['The store was not marked complete. Check the server and network, then run the same step again: it resumes from the store record.'] },
  USM0413: { exit: 'storeMissing', summary: 'No state store was found for this computer.', actions: ['Create a computer association (usmt-steps store associate --source OLD --destination NEW) before capture, or check that the capture was released.'] },
  USM0414: { exit: 'storeMissing', summary: 'The state store was never marked captured.', actions: ['The capture did not finish: rerun capture and "store release --type capture" on the source computer, or restore manually after checking the store.'] },
  USM0415: { exit: 'storeIntegrity', summary: 'The state store failed verification.', actions: ['Files listed in the message are missing or differ from the manifest; capture again from the source computer if it still exists.'] },
  USM0416: { exit: 'config', summary: 'The store is not in a state that allows this step.', actions: ['Run the store steps in order: request → capture → release (capture) → request (restore) → restore → release (restore).'] },
  USM0417: { exit: 'config', summary: 'The share transport is not available.', actions: ['Install smbclient (apt-get install smbclient) for --transport smbclient, or mount the share / use a UNC path for --transport fs.'] },
  USM0418: { exit: 'config', summary: 'The path does not name a store on a known share.', actions: ['Pass the store path printed by "store request" (OSDStateStorePath) or run "store list" to see the stores.'] },
  USM0419: { exit: 'usage', summary: 'Invalid computer association.', actions: ['Give --source and --destination computer names (letters, digits, "-", "_", "."), and --users only with a restore behaviour that names users.'] },
  USM0420: { exit: 'io', summary: 'A share operation failed.', actions: ['Check the permissions on the share folder named in the message and the server log.'] },
  USM0421: { exit: 'usage', summary: 'A --mount value (or USMT_STEPS_SHARE_MOUNT) does not say which share it mounts.', actions: ['With several shares in the policy, write --mount \\\\server\\share=DIR once per share; a bare DIR is only allowed when the policy lists one share.'] },
})
