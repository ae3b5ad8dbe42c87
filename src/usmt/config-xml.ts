/**
 * The Config.xml that `ScanState /genconfig` writes (usmt.md §5, skeleton §5.4): components grouped in
 * `<Applications>`, `<Documents>` and `<WindowsComponents>` (nested as in the migration XML), then
 * `<Policies>` with commented `<ErrorControl>` and `<HardLinkStoreControl>` examples and `<ProfileControl>`
 * with a commented local-group example, as Microsoft's tool writes them. Pure formatting: which component
 * goes where is decided by the caller (src/portable/genconfig.ts).
 */

export interface ConfigComponent {
  displayName: string
  /** The Config.xml ID (…/migxmlext/<urlid tail>/<display name>/<role>, lower-cased). */
  id: string
  migrate: boolean
  children: ConfigComponent[]
}

export interface ConfigSections {
  applications: ConfigComponent[]
  documents: ConfigComponent[]
  windowsComponents: ConfigComponent[]
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function componentLines(c: ConfigComponent, depth: number): string[] {
  const pad = '  '.repeat(depth)
  const open = `${pad}<component displayname="${attr(c.displayName)}" migrate="${c.migrate ? 'yes' : 'no'}" ID="${attr(c.id)}"`
  if (c.children.length === 0) return [`${open}/>`]
  return [`${open}>`, ...c.children.flatMap((k) => componentLines(k, depth + 1)), `${pad}</component>`]
}

function section(name: string, comps: readonly ConfigComponent[]): string[] {
  if (comps.length === 0) return [`  <${name}/>`]
  return [`  <${name}>`, ...comps.flatMap((c) => componentLines(c, 2)), `  </${name}>`]
}

const POLICIES = [
  '  <Policies>',
  '    <ErrorControl>',
  '      <!--   Example:',
  '',
  '          <fileError>',
  '            <nonFatal errorCode="33">* [*]</nonFatal>',
  '            <fatal errorCode="any">C:\\Users\\* [*]</fatal>',
  '          </fileError>',
  '          <registryError>',
  '            <nonFatal errorCode="5">* [*]</nonFatal>',
  '          </registryError>',
  '      -->',
  '    </ErrorControl>',
  '    <HardLinkStoreControl>',
  '      <!--   Example:',
  '',
  '          <fileLocked>',
  '            <createHardLink>c:\\Users\\* [*]</createHardLink>',
  '            <errorHardLink>C:\\* [*]</errorHardLink>',
  '          </fileLocked>',
  '      -->',
  '    </HardLinkStoreControl>',
  '  </Policies>',
  '  <ProfileControl>',
  '    <!--   Example (local group mapping):',
  '',
  '          <localGroups>',
  '            <mappings>',
  '              <changeGroup from="Administrators" to="Users" appliesTo="MigratedUsers">',
  '                <include>',
  '                  <pattern>DomainName1\\Username</pattern>',
  '                </include>',
  '                <exclude>',
  '                  <pattern>DomainName2\\Username</pattern>',
  '                </exclude>',
  '              </changeGroup>',
  '            </mappings>',
  '          </localGroups>',
  '      -->',
  '  </ProfileControl>',
]

/** The whole Config.xml text (CRLF line breaks, as the Windows tool writes it). */
export function formatConfigXml(s: ConfigSections, eol = '\r\n'): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Configuration>',
    ...section('Applications', s.applications),
    ...section('Documents', s.documents),
    ...section('WindowsComponents', s.windowsComponents),
    ...POLICIES,
    '</Configuration>',
    '',
  ].join(eol)
}
