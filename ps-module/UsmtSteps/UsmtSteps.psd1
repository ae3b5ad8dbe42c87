@{
    RootModule        = 'UsmtSteps.psm1'
    ModuleVersion     = '0.1.0'
    GUID              = '5b0f7f2e-3c1d-4a57-9a36-0d6f0c2a9e41'
    Author            = 'usmt-steps contributors'
    CompanyName       = 'usmt-steps'
    Copyright         = '(c) usmt-steps contributors. MIT License.'
    Description       = 'Run usmt-steps task-sequence steps from Run PowerShell Script steps, build ConfigMgr task sequences from the usmt-steps templates, and list share state stores.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Invoke-UsmtStep', 'New-UsmtStepsTaskSequence', 'Get-UsmtStepsStore')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
    PrivateData       = @{
        PSData = @{
            Tags       = @('USMT', 'ConfigMgr', 'MDT', 'TaskSequence', 'OSD')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
