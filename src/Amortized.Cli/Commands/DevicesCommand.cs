using System.CommandLine;

namespace Amortized.Cli.Commands;

/// <summary><c>amortized devices</c>: what <c>--device</c> can select on this machine.</summary>
internal static class DevicesCommand
{
    public static Command Create(CliContext ctx)
    {
        var command = new Command("devices",
            "List the compute devices --device can select (GPUs through ILGPU in the JIT build)");
        command.SetAction(_ => CliErrors.Guard(ctx, () =>
        {
            foreach (var line in DeviceSelection.Describe()) ctx.Output.WriteLine(line);
            return CliErrors.Ok;
        }));
        return command;
    }
}
