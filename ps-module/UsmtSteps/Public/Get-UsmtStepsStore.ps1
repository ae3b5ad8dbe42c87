function Get-UsmtStepsStore {
    <#
    .SYNOPSIS
        Lists the state stores on the policy's SMB shares.
    .DESCRIPTION
        Runs usmt-steps store list --json and returns one object per store (source computer, intended
        destination, users, state, timestamps), as recorded by store request and store release.
    .PARAMETER Policy
        Policy file that names the shares.
    .PARAMETER TsEnv
        Task-sequence environment for credentials (configmgr, mdt[:FILE], json:FILE, env).
    .OUTPUTS
        System.Management.Automation.PSCustomObject
    .EXAMPLE
        Get-UsmtStepsStore -Policy .\policy.json | Where-Object state -eq 'captured'
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [string] $Policy,

        [string] $TsEnv
    )

    $arguments = @('store', 'list', '--json')
    if ($Policy) {
        $arguments += @('--policy', $Policy)
    }
    if ($TsEnv) {
        $arguments += @('--ts-env', $TsEnv)
    }
    $result = Invoke-UsmtStepsCli -ArgumentList $arguments -CaptureOutput
    $document = $result.Output | ConvertFrom-Json
    if ($document.status -eq 'error') {
        throw "usmt-steps store list failed ($($document.error.code)): $($document.error.message)"
    }
    $stores = $document.result
    if ($stores -and $stores.PSObject.Properties.Name -contains 'stores') {
        $stores = $stores.stores
    }
    foreach ($store in @($stores)) {
        if ($null -ne $store) {
            $store
        }
    }
}
