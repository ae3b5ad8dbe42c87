function New-UsmtStepsTaskSequence {
    <#
    .SYNOPSIS
        Creates a ConfigMgr task sequence with the usmt-steps groups for a scenario.
    .DESCRIPTION
        Asks the CLI for the scenario's sequence model (usmt-steps template configmgr --format json, built
        from the task-step definitions) and creates it with the ConfigMgr cmdlets: New-CMTaskSequence,
        New-CMTaskSequenceGroup, New-CMTSStepRunCommandLine, New-CMTSStepDownloadPackageContent, New-CMTSStepRequestStateStore,
        New-CMTSStepReleaseStateStore, New-CMTSStepSetVariable and Add-CMTaskSequenceStep. Run it from the
        site drive of a session where the ConfigurationManager module is loaded.
    .PARAMETER Scenario
        refresh, replace-source or replace-destination.
    .PARAMETER Name
        Name of the new task sequence (default: usmt-steps <scenario>).
    .PARAMETER PackageId
        Package made from the usmt-steps package folder; every usmt-steps step runs from it.
    .PARAMETER UsmtPackageId
        A separate package that holds USMT: a Download Package Content step fetches it before capture and
        restore (--usmt-dir "%USMTStepsUsmtPackage01%").
    .PARAMETER UsmtInPackage
        USMT is in the usmt-steps package's own USMT folder (--usmt-dir USMT).
    .PARAMETER Policy
        The policy file (sections users: and stores:), relative to the package, passed to every step that accepts
        one; users reads users:, plan and the store steps read stores:.
    .PARAMETER UsmtDir
        USMT folder passed to capture and restore (instead of -UsmtPackageId or -UsmtInPackage).
    .PARAMETER ReportShare
        Central share for the report step.
    .OUTPUTS
        IResultObject#SMS_TaskSequencePackage
    .EXAMPLE
        New-UsmtStepsTaskSequence -Scenario refresh -PackageId ABC00012 -UsmtPackageId ABC00013
    .EXAMPLE
        New-UsmtStepsTaskSequence -Scenario replace-source -PackageId ABC00012 -UsmtInPackage -Policy policy.yaml -WhatIf
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('refresh', 'replace-source', 'replace-destination')]
        [string] $Scenario,

        [string] $Name,

        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$')]
        [string] $PackageId,

        [ValidatePattern('^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$')]
        [string] $UsmtPackageId,

        [switch] $UsmtInPackage,

        [string] $Policy,

        [string] $UsmtDir,

        [string] $ReportShare
    )

    if (-not $Name) {
        $Name = "usmt-steps $Scenario"
    }
    $arguments = @('template', 'configmgr', '--scenario', $Scenario, '--format', 'json', '--json')
    if ($PackageId) {
        $arguments += @('--package-id', $PackageId)
    }
    if ($UsmtPackageId) {
        $arguments += @('--usmt-package-id', $UsmtPackageId)
    }
    if ($UsmtInPackage) {
        $arguments += @('--usmt-in-package')
    }
    if ($Policy) {
        $arguments += @('--policy', $Policy)
    }
    if ($UsmtDir) {
        $arguments += @('--usmt-dir', $UsmtDir)
    }
    if ($ReportShare) {
        $arguments += @('--report-share', $ReportShare)
    }
    $result = Invoke-UsmtStepsCli -ArgumentList $arguments -CaptureOutput
    $document = $result.Output | ConvertFrom-Json
    if ($document.status -eq 'error') {
        throw "usmt-steps template configmgr failed ($($document.error.code)): $($document.error.message)"
    }
    $model = $document.result.content | ConvertFrom-Json
    if (-not (Get-Command -Name 'New-CMTaskSequence' -ErrorAction SilentlyContinue)) {
        throw 'The ConfigurationManager module is not loaded: run this from the site drive of a ConfigMgr console session.'
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'Create task sequence')) {
        return
    }
    $groups = @($model.children | ForEach-Object { ConvertTo-UsmtStepsCmNode -Node $_ })
    $taskSequence = New-CMTaskSequence -CustomTaskSequence -Name $Name -Description "usmt-steps $Scenario (generated from the task-step definitions)"
    $index = 0
    foreach ($group in $groups) {
        # Add-CMTaskSequenceStep inserts at index 0 unless told otherwise.
        $taskSequence | Add-CMTaskSequenceStep -Step $group -InsertStepStartIndex $index
        $index++
    }
    return $taskSequence
}
