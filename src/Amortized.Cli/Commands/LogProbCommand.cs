using System.CommandLine;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;

namespace Amortized.Cli.Commands;

/// <summary><c>amortized log-prob DIR --observation FILE --parameters FILE.csv --out FILE.csv</c>.</summary>
internal static class LogProbCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("DIR") { Description = "Run folder written by 'amortized fit'" };
        var observation =
            Options.RequiredPath("--observation", "CSV, .npy or .npz with one data set, or one per parameter row");
        var parameters = Options.RequiredPath("--parameters",
            "CSV with a header of parameter names and one parameter vector per row");
        var output = Options.RequiredPath("--out", "Output CSV with a row index and the log density per row");
        var command = new Command("log-prob",
            "Evaluate the learned log density (posterior log q(theta | x), or likelihood log q(x | theta))")
            { dir, observation, parameters, output };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
            Run(ctx, r.GetValue(dir)!, r.GetValue(observation)!, r.GetValue(parameters)!, r.GetValue(output)!)));
        return command;
    }

    public static int Run(CliContext ctx, string dir, string observationPath, string parametersPath, string outPath)
    {
        OutputPaths.EnsureFile(outPath);
        var (_, run, approximator) = RunFolder.Load(dir, ctx.ModelKey());
        var observations = Observations.Read(observationPath, run);
        var theta = ReadParameters(parametersPath, run);
        int p = theta.BatchSize, b = observations.BatchSize;
        if (b != 1 && b != p)
            throw new UsageException($"'{observationPath}' holds {b} data sets and '{parametersPath}' {p} parameter " +
                "rows; expected one data set, or one per row.");
        var batch = b == p ? observations : observations.SelectRows(new int[p]);
        foreach (string key in theta.Keys) batch.Set(key, theta.Get(key), theta.Shape(key).ToArray());
        float[] logq = approximator.LogProb(batch);
        var index = new float[p];
        for (int i = 0; i < p; i++) index[i] = i;
        var table = new CsvTable(p).Add("row", index, isInteger: true)
            .Add(run.MethodKind == FitMethod.Likelihood ? "log_likelihood" : "log_posterior", logq);
        Csv.WriteTable(outPath, table);
        ctx.Log($"wrote {p:N0} log densities to {outPath}");
        return CliErrors.Ok;
    }

    /// <summary>Parameter rows: columns named like the parameter names (or <c>key[i]</c>), in any order.</summary>
    private static SimulationBatch ReadParameters(string path, RunInfo run)
    {
        if (!File.Exists(path)) throw new UsageException($"parameter file '{path}' does not exist.");
        CsvTable table;
        try { table = Csv.ReadTable(path); }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw new UsageException($"cannot read parameter file '{path}': {e.Message}");
        }
        // Named like run.json's parameter names (theta_1) or the keys' elements (theta[0]), in any order; the data
        // columns of a file written by simulate are skipped.
        var names = run.ParameterNames.Length == run.Parameters.Sum(k => k.RowLength) ? run.ParameterNames : null;
        float[][] columns = CsvColumns.Match(table, path, "parameter file", CsvColumns.Of(run.Parameters, names),
            CsvColumns.Of(run.Inputs, CsvColumns.TaskNames(run.Task, run.Inputs, parameters: false)));
        int rows = table.RowCount;
        if (rows == 0) throw new UsageException($"parameter file '{path}' has no rows.");
        var batch = new SimulationBatch(rows);
        int offset = 0;
        foreach (var key in run.Parameters)
        {
            int len = key.RowLength;
            var data = new float[rows * len];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < len; j++)
                {
                    float v = columns[offset + j][r];
                    if (!float.IsFinite(v)) throw new UsageException(
                        $"parameter file '{path}': row {r}, column {run.ParameterNames[offset + j]} is {v}.");
                    data[r * len + j] = v;
                }
            batch.Set(key.Name, data, [rows, .. key.RowShape]);
            offset += len;
        }
        return batch;
    }
}
