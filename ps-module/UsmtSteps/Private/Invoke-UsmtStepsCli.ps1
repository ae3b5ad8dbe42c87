function Invoke-UsmtStepsCli {
    <#
    .SYNOPSIS
        Runs the usmt-steps CLI with an argument array and returns its exit code (and output).
    .DESCRIPTION
        Arguments are passed as an array, never joined into a command string. Windows PowerShell 5.1
        does not escape embedded double quotes for native programs, so such arguments are refused.
        Without -CaptureOutput the CLI's output goes to the host (the task-sequence log); with it,
        standard output is returned as one string.
    .PARAMETER ArgumentList
        The CLI arguments, for example @('store', 'list', '--json').
    .PARAMETER CaptureOutput
        Return standard output instead of writing it to the host.
    .OUTPUTS
        System.Management.Automation.PSCustomObject with ExitCode and Output.
    .EXAMPLE
        Invoke-UsmtStepsCli -ArgumentList @('exit-codes')
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory = $true)]
        [string[]] $ArgumentList,

        [switch] $CaptureOutput
    )

    foreach ($argument in $ArgumentList) {
        if ($argument.Contains('"')) {
            throw "Argument contains a double quote, which Windows PowerShell cannot pass safely to a program: $argument"
        }
    }
    $cli = Get-UsmtStepsCliCommand
    $allArguments = @($cli.Arguments) + @($ArgumentList)
    Write-Verbose -Message ("usmt-steps {0}" -f ($ArgumentList -join ' '))
    if ($CaptureOutput) {
        $lines = & $cli.FilePath @allArguments
        $exitCode = $LASTEXITCODE
        return [pscustomobject]@{ ExitCode = $exitCode; Output = ($lines -join [Environment]::NewLine) }
    }
    & $cli.FilePath @allArguments | Out-Host
    return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $null }
}
