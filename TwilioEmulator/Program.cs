using WarmTransfer.TwilioEmulator;

EmulatorApp.Build(args).Run();
