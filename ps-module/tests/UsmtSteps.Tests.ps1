#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Pester 5 tests for the UsmtSteps module. Run them with one command from the package folder (or a checkout):
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File ps-module\tests\Invoke-UsmtStepsTests.ps1 [-InstallPester]
# The CLI is replaced by a mock of the private Invoke-UsmtStepsCli; the task-step definitions are the
# repository's own task-steps\*.json (USMT_STEPS_HOME points at the repository root).

BeforeAll {
    $script:repoRoot = Split-Path -Path (Split-Path -Path $PSScriptRoot -Parent) -Parent
    $env:USMT_STEPS_HOME = $script:repoRoot
    $script:manifest = Join-Path -Path $script:repoRoot -ChildPath 'ps-module\UsmtSteps\UsmtSteps.psd1'
    Import-Module -Name $script:manifest -Force
}

AfterAll {
    Remove-Module -Name UsmtSteps -ErrorAction SilentlyContinue
    Remove-Item -Path Env:\USMT_STEPS_HOME -ErrorAction SilentlyContinue
}

Describe 'UsmtSteps manifest' {
    It 'is a valid module manifest' {
        { Test-ModuleManifest -Path $script:manifest -ErrorAction Stop } | Should -Not -Throw
    }

    It 'exports exactly the public functions' {
        $exported = (Get-Module -Name UsmtSteps).ExportedFunctions.Keys | Sort-Object
        $exported | Should -Be @('Get-UsmtStepsStore', 'Invoke-UsmtStep', 'New-UsmtStepsTaskSequence')
    }

    It 'uses approved verbs only' {
        $approved = (Get-Verb).Verb
        foreach ($name in (Get-Module -Name UsmtSteps).ExportedFunctions.Keys) {
            $approved | Should -Contain ($name -split '-')[0]
        }
    }

    It 'has comment-based help with a synopsis and an example for <_>' -ForEach @('Invoke-UsmtStep', 'New-UsmtStepsTaskSequence', 'Get-UsmtStepsStore') {
        $help = Get-Help -Name $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Examples.Example.Count | Should -BeGreaterThan 0
    }
}

Describe 'Invoke-UsmtStep' {
    BeforeEach {
        Mock -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -MockWith {
            $script:lastArguments = $ArgumentList
            [pscustomobject]@{ ExitCode = 0; Output = $null }
        }
    }

    It 'builds the capture command line from task-steps\capture.json' {
        Invoke-UsmtStep -Step capture -UsmtDir 'C:\USMT dir' | Should -Be 0
        Should -Invoke -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -Times 1 -ParameterFilter {
            ($ArgumentList -join '|') -eq 'capture|--usmt-dir|C:\USMT dir'
        }
    }

    It 'fills parameters and validates their choices' {
        Invoke-UsmtStep -Step store-request -Parameter @{ purpose = 'restore' } -Policy 'p.json' | Should -Be 0
        Should -Invoke -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -Times 1 -ParameterFilter {
            ($ArgumentList -join '|') -eq 'store|request|--type|restore|--policy|p.json'
        }
        { Invoke-UsmtStep -Step store-request -Parameter @{ purpose = 'sideways' } } | Should -Throw '*must be one of*'
        { Invoke-UsmtStep -Step plan } | Should -Throw '*needs -Parameter*'
    }

    It 'returns the CLI exit code' {
        Mock -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -MockWith { [pscustomobject]@{ ExitCode = 21; Output = $null } }
        Invoke-UsmtStep -Step restore | Should -Be 21
    }

    It 'passes the environment and progress options through' {
        Invoke-UsmtStep -Step report -TsEnv 'json:C:\env.json' -Progress ts | Should -Be 0
        Should -Invoke -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -Times 1 -ParameterFilter {
            ($ArgumentList -join '|') -eq 'report|--ts-env|json:C:\env.json|--progress|ts'
        }
    }
}

Describe 'Invoke-UsmtStepsCli' {
    It 'refuses arguments with double quotes' {
        InModuleScope UsmtSteps {
            { Invoke-UsmtStepsCli -ArgumentList @('capture', 'a"b') } | Should -Throw '*double quote*'
        }
    }
}

Describe 'Get-UsmtStepsStore' {
    It 'returns the stores of store list --json' {
        Mock -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -MockWith {
            [pscustomobject]@{ ExitCode = 0; Output = '{"status":"success","result":{"stores":[{"id":"PC1-1","state":"captured"},{"id":"PC2-1","state":"requested"}]},"warnings":[]}' }
        }
        $stores = @(Get-UsmtStepsStore -Policy 'p.json')
        $stores.Count | Should -Be 2
        $stores[0].state | Should -Be 'captured'
        Should -Invoke -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -ParameterFilter { ($ArgumentList -join '|') -eq 'store|list|--json|--policy|p.json' }
    }

    It 'throws the CLI error' {
        Mock -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -MockWith {
            [pscustomobject]@{ ExitCode = 13; Output = '{"status":"error","error":{"code":"USM0400","message":"share down"},"warnings":[]}' }
        }
        { Get-UsmtStepsStore } | Should -Throw '*share down*'
    }
}

Describe 'New-UsmtStepsTaskSequence' {
    It 'stops with a clear message when the ConfigMgr module is not loaded' {
        Mock -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -MockWith {
            [pscustomobject]@{ ExitCode = 0; Output = '{"status":"success","result":{"content":"{\"attrs\":[[\"version\",\"3.10\"]],\"children\":[]}"},"warnings":[]}' }
        }
        Mock -ModuleName UsmtSteps -CommandName Get-Command -ParameterFilter { $Name -eq 'New-CMTaskSequence' } -MockWith { $null }
        { New-UsmtStepsTaskSequence -Scenario refresh -PackageId ABC00012 } | Should -Throw '*ConfigurationManager module*'
        Should -Invoke -ModuleName UsmtSteps -CommandName Invoke-UsmtStepsCli -ParameterFilter {
            ($ArgumentList -join '|') -eq 'template|configmgr|--scenario|refresh|--format|json|--json|--package-id|ABC00012'
        }
    }
}
