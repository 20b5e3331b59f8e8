return Amortized.Cli.CliApp.Run(args);
