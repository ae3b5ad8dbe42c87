import { Flags } from '../../cli/spec.js'
import { settingFlags } from '../../cli/flags.js'
import { StepCommand, type StepContext, type StepOutcome } from '../../cli/step-command.js'
import { UsmtStepsError } from '../../runtime/errors.js'
import { MIGRATION_BEHAVIORS, validComputerName, type Association, type MigrationBehavior } from '../../share-store/records.js'
import { STORE_SETTINGS, storeServiceFor } from '../../share-store/index.js'

export default class StoreAssociate extends StepCommand<Association & { share: string }> {
  static override description = 'Create a computer association (source → destination, optional users) on the share, like the SMP\'s'
  static override examples = ['<%= config.bin %> store associate --source PC1 --destination PC2 --users "CONTOSO\\ann,CONTOSO\\bob" --policy policy.yaml']
  static override settings = STORE_SETTINGS
  static override flags = {
    ...settingFlags(STORE_SETTINGS),
    source: Flags.string({ description: 'Source computer (the one captured)', required: true }),
    destination: Flags.string({ description: 'Destination computer (the one restored)', required: true }),
    users: Flags.string({ description: 'Comma-separated accounts to restore (DOMAIN\\user)' }),
    behavior: Flags.string({ description: 'Migration behaviour (as SMS_StateMigration.MigrationBehavior)', options: [...MIGRATION_BEHAVIORS] }),
  }

  protected async execute(ctx: StepContext, flags: Record<string, unknown>): Promise<StepOutcome<Association & { share: string }>> {
    const source = String(flags.source)
    const destination = String(flags.destination)
    for (const name of [source, destination]) if (!validComputerName(name)) throw new UsmtStepsError('USM0419', `"${name}" is not a computer name`)
    const users = String(flags.users ?? '').split(',').map((u) => u.trim()).filter(Boolean)
    const behavior = (flags.behavior as MigrationBehavior | undefined) ?? (users.length ? 'CaptureAndRestoreSpecified' : 'CaptureAndRestoreAll')
    if (behavior !== 'CaptureAndRestoreAll' && users.length === 0) throw new UsmtStepsError('USM0419', `${behavior} needs --users`)
    if (behavior === 'CaptureAndRestoreAll' && users.length > 0) throw new UsmtStepsError('USM0419', 'CaptureAndRestoreAll restores every account: drop --users or choose another --behavior')
    const { service } = await storeServiceFor(ctx)
    try {
      const a = await service.associate(source, destination, behavior, users)
      return { result: a, summary: `association ${a.source} → ${a.destination} written to ${a.share}` }
    } finally {
      await service.close()
    }
  }
}
