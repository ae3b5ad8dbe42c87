<#
.SYNOPSIS
    Runs the Pester 5 tests of the UsmtSteps module (and the package's task-step definitions they read).
.DESCRIPTION
    The one command for an admin, from the usmt-steps package folder (or a checkout of the project):

        powershell.exe -NoProfile -ExecutionPolicy Bypass -File ps-module\tests\Invoke-UsmtStepsTests.ps1

    Windows PowerShell 5.1 ships Pester 3.4, which cannot run these tests. When no Pester 5 is installed the script
    stops and says so; with -InstallPester it installs Pester 5 for the current user from the PowerShell Gallery
    first. The exit code is the number of failed tests (0 = all passed); an NUnit XML result is written to
    -ResultPath (default: usmt-steps-pester.xml in TEMP).
.PARAMETER InstallPester
    Install Pester 5 for the current user (Install-Module) when it is missing.
.PARAMETER ResultPath
    Where to write the NUnit XML test result.
.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File ps-module\tests\Invoke-UsmtStepsTests.ps1 -InstallPester
#>
[CmdletBinding()]
param(
    [switch]$InstallPester,
    [string]$ResultPath = (Join-Path -Path $env:TEMP -ChildPath 'usmt-steps-pester.xml')
)

$ErrorActionPreference = 'Stop'
$minimum = [version]'5.0.0'
$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge $minimum } | Sort-Object -Property Version -Descending | Select-Object -First 1
if (-not $pester) {
    if (-not $InstallPester) {
        Write-Error -Message "Pester $minimum or later is not installed (Windows PowerShell ships Pester 3.4). Run this script again with -InstallPester, or: Install-Module -Name Pester -MinimumVersion $minimum -Scope CurrentUser -Force -SkipPublisherCheck"
        exit 1
    }
    Install-Module -Name Pester -MinimumVersion $minimum -Scope CurrentUser -Force -SkipPublisherCheck
}
Import-Module -Name Pester -MinimumVersion $minimum -Force

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath
$result = Invoke-Pester -Configuration $config
Write-Output -InputObject ("usmt-steps Pester tests: {0} passed, {1} failed, {2} skipped; result in {3}" -f $result.PassedCount, $result.FailedCount, $result.SkippedCount, $ResultPath)
exit $result.FailedCount
