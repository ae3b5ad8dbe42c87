function ConvertTo-UsmtStepsCmNode {
    <#
    .SYNOPSIS
        Turns a group or step of the usmt-steps sequence model into a ConfigMgr step object.
    .DESCRIPTION
        Uses New-CMTaskSequenceGroup, New-CMTSStepRunCommandLine, New-CMTSStepRequestStateStore,
        New-CMTSStepReleaseStateStore and New-CMTSStepSetVariable with splatted parameters built from the
        model's data (nothing is evaluated as code).
    .PARAMETER Node
        A node of the model: kind group or step, attrs as name/value pairs, condition, variables, children.
    .OUTPUTS
        IResultObject
    .EXAMPLE
        ConvertTo-UsmtStepsCmNode -Node $model.children[0]
    #>
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true)]
        [object] $Node
    )

    $attributes = @{}
    foreach ($pair in $Node.attrs) {
        $attributes[[string]$pair[0]] = [string]$pair[1]
    }
    $variables = @{}
    if ($Node.PSObject.Properties.Name -contains 'variables') {
        foreach ($variable in $Node.variables) {
            $variables[[string]$variable.name] = [string]$variable.value
        }
    }
    $common = @{ Name = $attributes['name'] }
    if ($attributes['description']) {
        $common.Description = $attributes['description']
    }
    if ($attributes['continueOnError'] -eq 'true') {
        $common.ContinueOnError = $true
    }
    if ($Node.PSObject.Properties.Name -contains 'condition') {
        $common.Condition = @(ConvertTo-UsmtStepsCmCondition -Condition $Node.condition -TopLevel)
    }

    if ($Node.kind -eq 'group') {
        $children = @($Node.children | ForEach-Object { ConvertTo-UsmtStepsCmNode -Node $_ })
        return (New-CMTaskSequenceGroup @common -Step $children)
    }
    switch ($attributes['type']) {
        'SMS_TaskSequence_RunCommandLineAction' {
            $parameters = $common.Clone()
            $parameters.CommandLine = $variables['CommandLine']
            $parameters.SuccessCode = @(([string]$attributes['successCodeList']).Split(' ', [StringSplitOptions]::RemoveEmptyEntries) | ForEach-Object { [int]$_ })
            if ($variables['PackageID']) {
                $parameters.PackageId = $variables['PackageID']
            }
            if ($attributes['timeout']) {
                $parameters.Timeout = [int][Math]::Ceiling([int]$attributes['timeout'] / 60)
            }
            return (New-CMTSStepRunCommandLine @parameters)
        }
        'SMS_TaskSequence_RequestStateStoreAction' {
            $option = if ($variables['OSDStateRequestType'] -eq 'restore') { 'Restore' } else { 'Capture' }
            return (New-CMTSStepRequestStateStore @common -RequestOption $option -FallbackToAccount $false -RetryCount ([int]$variables['OSDStateSMPRetryCount']) -RetryTime ([int]$variables['OSDStateSMPRetryTime']))
        }
        'SMS_TaskSequence_ReleaseStateStoreAction' {
            return (New-CMTSStepReleaseStateStore @common)
        }
        'SMS_TaskSequence_DownloadPackageContentAction' {
            $ids = @(([string]$variables['OSDDownloadDownloadPackages']).Split(',', [StringSplitOptions]::RemoveEmptyEntries) | ForEach-Object { $_.Trim() })
            $packages = @($ids | ForEach-Object { Get-CMPackage -Id $_ -Fast })
            return (New-CMTSStepDownloadPackageContent @common -AddPackage $packages -LocationOption TaskSequenceWorkingFolder -DestinationVariable $variables['OSDDownloadDestinationVariable'])
        }
        'SMS_TaskSequence_SetVariableAction' {
            return (New-CMTSStepSetVariable @common -TaskSequenceVariable $variables['VariableName'] -TaskSequenceVariableValue $variables['VariableValue'])
        }
        default {
            throw "No ConfigMgr cmdlet for step type $($attributes['type'])."
        }
    }
}
