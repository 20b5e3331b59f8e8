using System.CommandLine;
using System.Text.Json;
using Amortized.Inference.Tasks;

namespace Amortized.Cli.Commands;

/// <summary><c>amortized tasks [--json]</c>: the built-in tasks and their dimensions.</summary>
internal static class TasksCommand
{
    public static Command Create(CliContext ctx)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("tasks", "List the built-in tasks with their dimensions") { json };
        command.SetAction(r => CliErrors.Guard(ctx, () => Run(ctx, r.GetValue(json))));
        return command;
    }

    public static IReadOnlyList<TaskDescription> Describe() =>
        [.. BenchmarkTasks.Names.Select(name =>
        {
            var task = BenchmarkTasks.Create(name);
            return new TaskDescription(name, task.ParameterDim, task.DataDim, task.Support.ToString(),
                CliChoices.SummaryNetworks.Word(task.DefaultSummaryNetwork), [.. task.ParameterNames]);
        })];

    public static int Run(CliContext ctx, bool json)
    {
        var tasks = Describe();
        if (json)
        {
            ctx.Output.WriteLine(JsonSerializer.Serialize(tasks.ToList(), CliJsonContext.Default.ListTaskDescription));
            return CliErrors.Ok;
        }
        int width = tasks.Max(t => t.Name.Length) + 2;
        ctx.Output.WriteLine($"{"task".PadRight(width)}{"params",7}{"data",7}  {"prior support",-16}summary network");
        foreach (var t in tasks)
            ctx.Output.WriteLine(
                $"{t.Name.PadRight(width)}{t.Parameters,7}{t.Data,7}  {t.Support,-16}{t.SummaryNetwork}");
        ctx.Output.WriteLine("Names also work with hyphens (two-moons).");
        return CliErrors.Ok;
    }
}
