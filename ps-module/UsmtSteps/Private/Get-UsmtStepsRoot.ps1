function Get-UsmtStepsRoot {
    <#
    .SYNOPSIS
        Returns the usmt-steps package folder.
    .DESCRIPTION
        The package folder holds usmt-steps.cmd, node\x64 and node\arm64, launch.cjs, cli\, task-steps\ and ps-module\.
        USMT_STEPS_HOME overrides the default, which is two levels above this module
        (<package>\ps-module\UsmtSteps).
    .OUTPUTS
        System.String
    .EXAMPLE
        Get-UsmtStepsRoot
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    if ($env:USMT_STEPS_HOME) {
        return $env:USMT_STEPS_HOME
    }
    $moduleRoot = Split-Path -Path $PSScriptRoot -Parent
    return (Split-Path -Path (Split-Path -Path $moduleRoot -Parent) -Parent)
}
