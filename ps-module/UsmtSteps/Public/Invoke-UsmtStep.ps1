function Invoke-UsmtStep {
    <#
    .SYNOPSIS
        Runs one usmt-steps task-sequence step and returns its exit code.
    .DESCRIPTION
        For Run PowerShell Script steps in ConfigMgr or MDT. The command line comes from the package's
        task-step definition (task-steps\<Step>.json), so it is the same as the Run Command Line templates.
        The CLI runs as a child process of the script: it reads and writes the task-sequence variables
        itself (TSEnvironment in ConfigMgr, VARIABLES.DAT in MDT) and shows progress in the task-sequence
        dialog; its output goes to the step's log. End the script with
        exit (Invoke-UsmtStep ...) so that the step reports the CLI's exit code.
    .PARAMETER Step
        The step: users, plan, store-request, capture, store-release, restore or report.
    .PARAMETER Parameter
        Values for the step's parameters, for example @{ scenario = 'refresh' } for plan or
        @{ purpose = 'capture' } for store-request and store-release.
    .PARAMETER Policy
        The policy file (sections users: and stores:) for the steps that accept one (users reads users:; plan,
        store-request and store-release read stores:).
    .PARAMETER UsmtDir
        USMT folder for capture and restore.
    .PARAMETER ReportShare
        Central share for the report step.
    .PARAMETER TsEnv
        Task-sequence environment (configmgr, mdt[:FILE], json:FILE, env); default: detected by the CLI.
    .PARAMETER Progress
        Progress display (auto, ts, bar, lines, none); default: auto.
    .PARAMETER AdditionalArgument
        More CLI arguments, passed as they are (for example @('--verbose')).
    .OUTPUTS
        System.Int32. The exit code of the step (0 success, 3010 restart requested; see usmt-steps exit-codes).
    .EXAMPLE
        exit (Invoke-UsmtStep -Step capture)
    .EXAMPLE
        exit (Invoke-UsmtStep -Step plan -Parameter @{ scenario = 'replace' } -Policy "$PSScriptRoot\policy.json")
    .LINK
        https://learn.microsoft.com/mem/configmgr/osd/understand/task-sequence-steps#BKMK_RunPowerShellScript
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [ValidateSet('users', 'plan', 'store-request', 'capture', 'store-release', 'restore', 'report')]
        [string] $Step,

        [hashtable] $Parameter = @{},

        [string] $Policy,

        [string] $UsmtDir,

        [string] $ReportShare,

        [string] $TsEnv,

        [ValidateSet('auto', 'ts', 'bar', 'lines', 'none')]
        [string] $Progress,

        [string[]] $AdditionalArgument = @()
    )

    $definition = Get-UsmtStepsTaskStep -Id $Step
    $arguments = [System.Collections.Generic.List[string]]::new()
    foreach ($word in $definition.command) {
        $arguments.Add([string]$word)
    }
    foreach ($template in $definition.arguments) {
        $text = [string]$template
        $match = [regex]::Match($text, '^\{(\w+)\}$')
        if (-not $match.Success) {
            $arguments.Add($text)
            continue
        }
        $name = $match.Groups[1].Value
        if (-not $Parameter.ContainsKey($name)) {
            throw "Step $Step needs -Parameter @{ $name = '...' } (one of: $($definition.parameters.$name.choices -join ', '))."
        }
        $value = [string]$Parameter[$name]
        if (@($definition.parameters.$name.choices) -notcontains $value) {
            throw "Step ${Step}: $name must be one of $($definition.parameters.$name.choices -join ', ') (got '$value')."
        }
        $arguments.Add($value)
    }
    $optionValues = @{ policy = $Policy; usmtDir = $UsmtDir; reportShare = $ReportShare }
    foreach ($option in $definition.options.PSObject.Properties) {
        $value = $optionValues[$option.Name]
        if ($value) {
            $arguments.Add([string]$option.Value)
            $arguments.Add($value)
        }
    }
    if ($TsEnv) {
        $arguments.Add('--ts-env')
        $arguments.Add($TsEnv)
    }
    if ($Progress) {
        $arguments.Add('--progress')
        $arguments.Add($Progress)
    }
    foreach ($extra in $AdditionalArgument) {
        $arguments.Add($extra)
    }
    $result = Invoke-UsmtStepsCli -ArgumentList $arguments.ToArray()
    return [int]$result.ExitCode
}
