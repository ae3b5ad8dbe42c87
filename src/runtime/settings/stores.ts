import type { SettingDef } from '../settings.js'

export const STORES_SETTINGS = [
  {
    key: 'storePolicy', area: 'stores', type: 'path', flag: 'policy', tsVariables: ['USMTStepsPolicy'], envVar: 'USMT_STEPS_POLICY',
    description: 'The policy file (YAML or JSON); plan and the store commands read its "stores:" section (preferred and allowed stores, shares, free-space minimums, encryption, retention) and ignore "users:"',
  },
  {
    key: 'planFacts', area: 'stores', type: 'path', flag: 'facts', envVar: 'USMT_STEPS_FACTS',
    description: 'Machine facts as JSON (volumes, free space, BitLocker, WinPE, size estimate) instead of probing this machine',
  },
  {
    key: 'planScenario', area: 'stores', type: 'enum', flag: 'scenario', tsVariables: ['USMTStepsScenario'], choices: ['refresh', 'replace'],
    description: 'Deployment scenario; when unset, DeploymentType=REPLACE means replace and anything else refresh',
  },
  {
    key: 'planEstimateBytes', area: 'stores', type: 'integer', flag: 'estimate-bytes', tsVariables: ['USMTStepsEstimateBytes'], min: 0,
    description: 'Size estimate of the user state in bytes (overrides estimateBytes of the facts)',
  },
  {
    key: 'storeTransport', area: 'stores', type: 'enum', flag: 'transport', tsVariables: ['USMTStepsStoreTransport'], envVar: 'USMT_STEPS_STORE_TRANSPORT',
    choices: ['auto', 'fs', 'smbclient'], default: 'auto',
    description: 'How shares are reached: fs (UNC paths on Windows, a mounted share elsewhere), smbclient (Samba client, SMB3 signed); auto = fs on Windows, smbclient elsewhere',
  },
  {
    key: 'storeShareMount', area: 'stores', type: 'path', flag: 'mount', multiple: true, envVar: 'USMT_STEPS_SHARE_MOUNT',
    description: 'fs transport off Windows: local folder where the share root is mounted (e.g. /mnt/migstore), or \\\\server\\share=DIR for each share of a policy with several',
  },
  {
    key: 'storeRequestType', area: 'stores', type: 'enum', flag: 'type', tsVariables: ['OSDStateRequestType'], choices: ['capture', 'restore'],
    description: 'Whether store request creates a store for capture or finds one for restore (default capture)',
  },
  {
    key: 'storeReleaseType', area: 'stores', type: 'enum', flag: 'type', tsVariables: ['USMTStepsStoreRequestType', 'OSDStateRequestType'], choices: ['capture', 'restore'],
    description: 'Whether store release finishes a capture or a restore (store request records USMTStepsStoreRequestType)',
  },
  {
    key: 'storeRetryCount', area: 'stores', type: 'integer', flag: 'retry-count', tsVariables: ['OSDStateSMPRetryCount'], default: '3', min: 0, max: 30,
    description: 'How many times store request retries finding a share before it fails (as Request State Store)',
  },
  {
    key: 'storeRetryTime', area: 'stores', type: 'integer', flag: 'retry-time', tsVariables: ['OSDStateSMPRetryTime'], default: '10', min: 0, max: 600,
    description: 'Seconds between store request retries',
  },
  {
    key: 'storeFallbackToNaa', area: 'stores', type: 'boolean', tsVariables: ['OSDStateFallbackToNAA'], default: 'false',
    description: 'Use the network access account (_SMSTSReserved1/2) when no MDT credentials (UserID/UserPassword) are set',
  },
  {
    key: 'storeComputerName', area: 'stores', type: 'string', flag: 'computer', tsVariables: ['_SMSTSMachineName', 'OSDComputerName', 'ComputerName'], envVar: 'COMPUTERNAME',
    description: 'This computer\'s name, as recorded in store records and matched against computer associations',
  },
  {
    key: 'storeEstimateBytes', area: 'stores', type: 'integer', flag: 'estimate-bytes', tsVariables: ['USMTStepsEstimateBytes', 'USMTStepsPlanEstimateBytes'], min: 0,
    description: 'Expected store size in bytes, added to the share\'s free-space minimum by store request (default: the estimate usmt-steps plan wrote)',
  },
  {
    key: 'storeLocalPath', area: 'stores', type: 'path', flag: 'local-path', tsVariables: ['USMTStepsStoreLocalPath'],
    description: 'Local staging folder that scanstate writes to / loadstate reads from when the transport cannot open the share as a path (smbclient)',
  },
  {
    key: 'storePath', area: 'stores', type: 'string', flag: 'store', tsVariables: ['OSDStateStorePath'],
    description: 'Store that store release and store verify work on (default: the one store request or the native Request State Store step recorded)',
  },
] as const satisfies readonly SettingDef[]
