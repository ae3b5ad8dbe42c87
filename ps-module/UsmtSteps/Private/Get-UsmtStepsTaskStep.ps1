function Get-UsmtStepsTaskStep {
    <#
    .SYNOPSIS
        Reads one task-step definition (task-steps\<Id>.json) from the package.
    .DESCRIPTION
        The definitions are the single source of the steps' command lines; this module never spells a
        command line itself.
    .PARAMETER Id
        The step id, for example capture or store-request.
    .OUTPUTS
        System.Management.Automation.PSCustomObject
    .EXAMPLE
        Get-UsmtStepsTaskStep -Id capture
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[a-z][a-z-]*$')]
        [string] $Id
    )

    $file = Join-Path -Path (Join-Path -Path (Get-UsmtStepsRoot) -ChildPath 'task-steps') -ChildPath "$Id.json"
    if (-not (Test-Path -LiteralPath $file)) {
        throw "No task-step definition $file (set USMT_STEPS_HOME to the usmt-steps package folder)."
    }
    return (Get-Content -LiteralPath $file -Raw -Encoding UTF8 | ConvertFrom-Json)
}
