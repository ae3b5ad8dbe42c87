function Get-UsmtStepsCliCommand {
    <#
    .SYNOPSIS
        Finds how to start the usmt-steps CLI.
    .DESCRIPTION
        Prefers the package's own node.exe for this processor (node\x64 or node\arm64, chosen like
        usmt-steps.cmd does: PROCESSOR_ARCHITEW6432, else PROCESSOR_ARCHITECTURE) with the launcher
        launch.cjs (no cmd.exe in between, so arguments are passed exactly); falls back to usmt-steps on
        the PATH (npm install).
    .OUTPUTS
        System.Management.Automation.PSCustomObject with FilePath and Arguments.
    .EXAMPLE
        $cli = Get-UsmtStepsCliCommand
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param()

    $root = Get-UsmtStepsRoot
    $arch = $env:PROCESSOR_ARCHITEW6432
    if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }
    $folder = 'x64'
    if ($arch -eq 'ARM64') { $folder = 'arm64' }
    $node = Join-Path -Path (Join-Path -Path (Join-Path -Path $root -ChildPath 'node') -ChildPath $folder) -ChildPath 'node.exe'
    $bundle = Join-Path -Path $root -ChildPath 'launch.cjs'
    if ((Test-Path -LiteralPath $node) -and (Test-Path -LiteralPath $bundle)) {
        return [pscustomobject]@{ FilePath = $node; Arguments = @($bundle) }
    }
    $onPath = Get-Command -Name 'usmt-steps' -CommandType @('Application', 'ExternalScript') -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($onPath) {
        return [pscustomobject]@{ FilePath = $onPath.Source; Arguments = @() }
    }
    throw "usmt-steps was not found: neither $node with $bundle nor usmt-steps on the PATH. Set USMT_STEPS_HOME to the package folder."
}
