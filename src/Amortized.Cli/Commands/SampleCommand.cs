using System.CommandLine;
using Amortized.Inference.FileFormats;
using Amortized.Inference;
using Amortized.Inference.Serialization;
using Amortized.Plots;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized sample DIR --observation FILE --samples N --out FILE.csv [--seed S] [--plot FILE.png]</c>. On a point
/// run it writes the point estimates of each data set, on a model-comparison run the model probabilities.
/// </summary>
internal static class SampleCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("DIR") { Description = "Run folder written by 'amortized fit'" };
        var observation = Options.RequiredPath("--observation",
            "CSV (header row, one data set per row), .npy or .npz with the observed data");
        var samples = Options.Int("--samples", "Posterior draws per data set", 1000, 1, 10_000_000);
        var output = Options.RequiredPath("--out",
            "Output CSV: a header of parameter names (and a leading dataset column for several data sets); for a " +
            "point run one row per data set of mean:NAME and qLEVEL:NAME columns, for a model-comparison run one " +
            "row per data set of p(MODEL) columns");
        var seed = Options.Seed();
        var device = Options.Choice("--device", "Sample on cpu, or on a GPU through ILGPU in the JIT build (cuda, " +
            "opencl; ilgpu-cpu emulates one)", DeviceChoice.Cpu, CliChoices.Devices);
        var plot = new Option<string?>("--plot")
        {
            Description = "Also draw the posterior of the first data set (pairs plot, prior in grey for a task) to " +
                "this PNG (or .svg) file",
        };
        var command = new Command("sample", "Draw posterior samples for observed data (point runs: point estimates; " +
            "model-comparison runs: model probabilities)") { dir, observation,
            samples, output, seed, device, plot };
        command.SetAction(r => CliErrors.Guard(ctx, () => Run(ctx, r.GetValue(dir)!, r.GetValue(observation)!,
            r.GetValue(samples), r.GetValue(output)!, r.GetValue(seed), r.GetValue(device), r.GetValue(plot))));
        return command;
    }

    public static int Run(CliContext ctx, string dir, string observationPath,
        int numSamples, string outPath, ulong seed,
        DeviceChoice device = DeviceChoice.Cpu, string? plotPath = null)
    {
        OutputPaths.EnsureFile(outPath);
        var (_, run, model) = RunFolder.LoadAny(dir, ctx.ModelKey());
        if (model is not Amortized.Inference.Approximators.ContinuousApproximator approximator)
        {
            if (plotPath is not null)
                throw new UsageException($"--plot draws posterior samples; this is a {run.Method} run, which has none.");
            if (device != DeviceChoice.Cpu) model.Store.MoveTo(DeviceSelection.Open(device));
            return EstimateSampling.Write(ctx, run, model, Observations.Read(observationPath, run), outPath);
        }
        if (device != DeviceChoice.Cpu)
        {
            // Many data sets x many draws is where an accelerator pays; the likelihood model's MCMC stays on the CPU.
            string word = CliChoices.Devices.Word(device);
            if (run.MethodKind == FitMethod.Likelihood)
                throw new UsageException($"--device {word}: a likelihood model samples its posterior by MCMC on " +
                    "the CPU; use --device cpu.");
            approximator.Store.MoveTo(DeviceSelection.Open(device));
        }
        var observations = Observations.Read(observationPath, run);
        var draws = PosteriorDrawing.Draw(run, approximator, observations, numSamples, seed);
        if (MisspecificationWarnings.Test(run, approximator, observations) is { } test)
        {
            var (line, warning) = MisspecificationWarnings.Describe(test);
            ctx.Log(line);
            if (warning is not null) ctx.Error.WriteLine($"warning: {warning}");
        }
        int b = observations.BatchSize, d = run.ParameterNames.Length;
        var table = new CsvTable(b * numSamples);
        if (b > 1)
        {
            var dataset = new float[b * numSamples];
            for (int i = 0; i < dataset.Length; i++) dataset[i] = i / numSamples;
            table.Add("dataset", dataset, isInteger: true);
        }
        for (int j = 0; j < d; j++)
        {
            var column = new float[b * numSamples];
            for (int i = 0; i < column.Length; i++) column[i] = draws[i * d + j];
            table.Add(run.ParameterNames[j], column);
        }
        Csv.WriteTable(outPath, table);
        ctx.Log(
            $"wrote {numSamples:N0} draws x {b} data set(s) of {string.Join(", ", run.ParameterNames)} to {outPath}");
        if (plotPath is not null)
        {
            WritePlot(run, draws.AsSpan(0, numSamples * d).ToArray(), numSamples, plotPath, seed);
            ctx.Log($"plot of the posterior for data set 0{(b > 1 ? $" (of {b})" : "")}: {plotPath}");
        }
        return CliErrors.Ok;
    }

    /// <summary>
    /// The pairs plot of one data set's draws (S, D), with 2000 prior draws in grey when the run is a task's;
    /// SVG when the path ends in .svg, else PNG.
    /// </summary>
    private static void WritePlot(RunInfo run, float[] draws, int numSamples, string path, ulong seed)
    {
        if (Directory.Exists(path)) throw new UsageException($"--plot '{path}' is a folder; expected a file name.");
        float[]? prior = null;
        int numPrior = 0;
        if (run.Task is not null)
        {
            var task = TaskNames.Create(run.Task);
            numPrior = 2000;
            var priorBatch = task.SamplePrior(numPrior, seed ^ StreamRegistry.ReportPriorSalt);
            prior = run.FlattenParameters(priorBatch.Get, numPrior);
        }
        var figure = Figures.Pairs(draws, numSamples, run.ParameterNames, prior, numPrior,
            title: "Posterior for the observation");
        var (width, height) = Figures.SuggestedSize(figure);
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
            AtomicFile.WriteAllText(path, FigureFiles.Svg(figure, width, height));
        else AtomicFile.WriteAllBytes(path, FigureFiles.Png(figure, width, height));
    }
}
