/**
 * The fixed scripts the COM bridge runs. They never contain data: each request travels in the
 * environment variable USMT_STEPS_BRIDGE_REQUEST in a small hex wire format (every field is its UTF-16
 * code units as 4 hex digits), and each answer comes back on stdout in the same format. Hex keeps both
 * hosts trivial (WSH's JScript has no JSON or Base64) and makes injection impossible by construction.
 *
 * Request:  v1;OP;FIELD;FIELD…          OP = ping | read | write | progress | closeprogress
 * Response: OK;FIELD;FIELD…  or  ERR;HRESULT;MESSAGE
 *
 * The JScript form runs unchanged on every Windows Script Host we know of: it answers through WScript.Echo (which
 * cscript writes to stdout) rather than WScript.StdOut, which Wine's WSH does not implement, and it uses no JScript
 * beyond ES3 (WSH has no JSON). How cscript is told that the file is JScript is com-bridge.ts's business (wshArgv).
 */
export const BRIDGE_ENV_VAR = 'USMT_STEPS_BRIDGE_REQUEST'

export const POWERSHELL_BRIDGE_SCRIPT = `$ErrorActionPreference = 'Stop'
function Dec([string]$h) { $sb = New-Object System.Text.StringBuilder; for ($i = 0; $i -lt $h.Length; $i += 4) { [void]$sb.Append([char][Convert]::ToInt32($h.Substring($i, 4), 16)) }; $sb.ToString() }
function Enc([string]$s) { $sb = New-Object System.Text.StringBuilder; foreach ($c in $s.ToCharArray()) { [void]$sb.Append(([int]$c).ToString('x4')) }; $sb.ToString() }
try {
  $parts = ([Environment]::GetEnvironmentVariable('${BRIDGE_ENV_VAR}')).Split(';')
  if ($parts[0] -ne 'v1') { throw 'bad request version' }
  $op = $parts[1]; $f = @(); for ($i = 2; $i -lt $parts.Length; $i++) { $f += ,(Dec $parts[$i]) }
  $out = @('OK')
  switch ($op) {
    'ping' { $null = New-Object -ComObject Microsoft.SMS.TSEnvironment; $out += Enc $PSVersionTable.PSVersion.ToString() }
    'read' { $ts = New-Object -ComObject Microsoft.SMS.TSEnvironment; foreach ($n in $ts.GetVariables()) { $out += Enc $n; $out += Enc ($ts.Value($n)) } }
    'write' { $ts = New-Object -ComObject Microsoft.SMS.TSEnvironment; for ($i = 0; $i -lt $f.Length; $i += 2) { $ts.Value($f[$i]) = $f[$i + 1] } }
    'progress' { $ui = New-Object -ComObject Microsoft.SMS.TSProgressUI; $ui.ShowActionProgress($f[0], $f[1], $f[2], $f[3], [uint32]$f[4], [uint32]$f[5], $f[6], [uint32]$f[7], [uint32]$f[8]) }
    'closeprogress' { $ui = New-Object -ComObject Microsoft.SMS.TSProgressUI; $ui.CloseProgressDialog() }
    default { throw ('unknown op ' + $op) }
  }
  [Console]::Out.WriteLine(($out -join ';'))
} catch {
  $hr = '0x{0:x8}' -f $_.Exception.HResult
  [Console]::Out.WriteLine('ERR;' + (Enc $hr) + ';' + (Enc $_.Exception.Message))
}
`

export const JSCRIPT_BRIDGE_SCRIPT = `// usmt-steps COM bridge for Windows Script Host (used where powershell.exe is absent, e.g. WinPE).
function dec(h) { var s = ''; for (var i = 0; i < h.length; i += 4) s += String.fromCharCode(parseInt(h.substr(i, 4), 16)); return s; }
function enc(s) { s = String(s); var o = ''; for (var i = 0; i < s.length; i++) { var x = s.charCodeAt(i).toString(16); while (x.length < 4) x = '0' + x; o += x; } return o; }
var out = ['OK'];
try {
  var sh = WScript.CreateObject('WScript.Shell');
  var parts = String(sh.Environment('PROCESS')('${BRIDGE_ENV_VAR}')).split(';');
  if (parts[0] !== 'v1') throw new Error('bad request version');
  var op = parts[1], f = [];
  for (var i = 2; i < parts.length; i++) f.push(dec(parts[i]));
  var ts, ui, e;
  if (op === 'ping') { ts = new ActiveXObject('Microsoft.SMS.TSEnvironment'); out.push(enc('WSH ' + WScript.Version)); }
  else if (op === 'read') { ts = new ActiveXObject('Microsoft.SMS.TSEnvironment'); e = new Enumerator(ts.GetVariables()); for (; !e.atEnd(); e.moveNext()) { out.push(enc(e.item())); out.push(enc(ts.Value(e.item()))); } }
  else if (op === 'write') { ts = new ActiveXObject('Microsoft.SMS.TSEnvironment'); for (i = 0; i < f.length; i += 2) ts.Value(f[i]) = f[i + 1]; }
  else if (op === 'progress') { ui = new ActiveXObject('Microsoft.SMS.TSProgressUI'); ui.ShowActionProgress(f[0], f[1], f[2], f[3], parseInt(f[4], 10), parseInt(f[5], 10), f[6], parseInt(f[7], 10), parseInt(f[8], 10)); }
  else if (op === 'closeprogress') { ui = new ActiveXObject('Microsoft.SMS.TSProgressUI'); ui.CloseProgressDialog(); }
  else throw new Error('unknown op ' + op);
  WScript.Echo(out.join(';'));
} catch (err) {
  var hr = (err.number >>> 0).toString(16); while (hr.length < 8) hr = '0' + hr;
  WScript.Echo('ERR;' + enc('0x' + hr) + ';' + enc(err.message || String(err)));
}
`
