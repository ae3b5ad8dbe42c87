/**
 * `scanstate /genconfig:FILE`: the components of the /i migration XML as a Config.xml (usmt.md §5, §5.4).
 *
 * Sections by component type, as Microsoft's output shows them (usmt.md §5 and the public /genconfig
 * samples): `type="Documents"` → `<Documents>`, `type="Application"` → `<Applications>`, `System`, `Device`
 * and any other type → `<WindowsComponents>`; child components are nested in their parent and follow the
 * section of their top-level ancestor. IDs are the ones the rule engine matches a Config.xml against
 * (`…/migxmlext/<urlid tail>/<display name>/<first role>`, lower-cased), so a component set to
 * `migrate="no"` in the generated file is switched off when the file is passed back with /config.
 * Like ScanState, only components present on the machine are listed when volumes are mapped (the engine's
 * detection; conditions that need the registry count as false); a parent is kept when a child is present.
 */
import { componentConfigIds } from '../engine/loader.js'
import type { ComponentDef, RuleModel } from '../engine/model.js'
import type { ConfigComponent, ConfigSections } from '../usmt/config-xml.js'

export type ConfigSectionName = keyof ConfigSections

export function sectionOfType(type: string): ConfigSectionName {
  const t = type.trim().toLowerCase()
  if (t === 'documents') return 'documents'
  if (t === 'application') return 'applications'
  return 'windowsComponents'
}

export interface GenConfigResult {
  sections: ConfigSections
  listed: number
  notDetected: string[]
}

/** Build the Config.xml sections from the loaded migration XML. `present` says which components were detected (all when absent). */
export function configSections(model: RuleModel, present?: (c: ComponentDef) => boolean): GenConfigResult {
  const children = new Map<number | null, ComponentDef[]>()
  for (const c of model.components) {
    const list = children.get(c.parent) ?? []
    list.push(c)
    children.set(c.parent, list)
  }
  const notDetected: string[] = []
  let listed = 0
  const build = (c: ComponentDef): ConfigComponent | null => {
    const kids = (children.get(c.index) ?? []).map(build).filter((k): k is ConfigComponent => k !== null)
    const here = present ? present(c) : true
    if (!here && kids.length === 0) {
      notDetected.push(c.displayName || c.urlid)
      return null
    }
    listed++
    return { displayName: c.displayName || c.urlid, id: componentConfigIds(c)[0], migrate: true, children: kids }
  }
  const sections: ConfigSections = { applications: [], documents: [], windowsComponents: [] }
  for (const top of children.get(null) ?? []) {
    const built = build(top)
    if (built) sections[sectionOfType(top.type)].push(built)
  }
  return { sections, listed, notDetected }
}
