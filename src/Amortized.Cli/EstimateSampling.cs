using System.Globalization;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;

namespace Amortized.Cli;

/// <summary>
/// What <c>sample</c> writes for the estimators: a point run's estimates (one row per data set: <c>mean:NAME</c>,
/// then <c>qLEVEL:NAME</c> per quantile level) or a model-comparison run's probabilities (one row per data set:
/// <c>p(MODEL)</c> per model), with a leading <c>dataset</c> column for several data sets.
/// </summary>
internal static class EstimateSampling
{
    public static int Write(CliContext ctx, RunInfo run, Approximator model, SimulationBatch observations,
        string outPath)
    {
        int b = observations.BatchSize;
        var table = new CsvTable(b);
        if (b > 1) table.Add("dataset", [.. Enumerable.Range(0, b).Select(i => (float)i)], isInteger: true);
        switch (model)
        {
            case PointApproximator point:
            {
                var estimates = point.Estimate(observations);
                int d = run.ParameterNames.Length;
                foreach (string rule in estimates.Rules)
                {
                    var estimate = estimates[rule];
                    var levels = (point.Rules.First(r => r.Name == rule) as QuantileScore)?.Levels;
                    int count = levels?.Count ?? 1;
                    for (int q = 0; q < count; q++)
                    {
                        // Parameter keys are (B, ...) for a point rule and (B, Q, ...) for quantiles: take level q.
                        int level = q;
                        float[] values = run.FlattenParameters(key =>
                        {
                            float[] all = estimate.Values.Get(key);
                            if (levels is null) return all;
                            int row = all.Length / (b * count);
                            var one = new float[b * row];
                            for (int i = 0; i < b; i++) Array.Copy(all, (i * count + level) * row, one, i * row, row);
                            return one;
                        }, b);
                        string prefix = levels is null ? rule
                            : "q" + levels[q].ToString(CultureInfo.InvariantCulture);
                        for (int j = 0; j < d; j++)
                            table.Add($"{prefix}:{run.ParameterNames[j]}",
                                [.. Enumerable.Range(0, b).Select(i => values[i * d + j])]);
                    }
                }
                ctx.Log($"wrote point estimates ({string.Join(", ", estimates.Rules)}) of {b} data set(s) of " +
                    $"{string.Join(", ", run.ParameterNames)} to {outPath}");
                break;
            }
            case ModelComparisonApproximator classifier:
            {
                float[] probabilities = classifier.PredictProbabilities(observations);
                int k = classifier.ModelCount;
                for (int m = 0; m < k; m++)
                    table.Add($"p({classifier.ModelName(m)})", [.. Enumerable.Range(0, b).Select(i => probabilities[i * k + m])]);
                ctx.Log($"wrote the probabilities of {k} models ({string.Join(", ", Enumerable.Range(0, k)
                    .Select(classifier.ModelName))}) for {b} data set(s) to {outPath}");
                break;
            }
            default:
                throw new ArgumentException($"EstimateSampling: a {model.GetType().Name} is not an estimator.",
                    nameof(model));
        }
        Csv.WriteTable(outPath, table);
        return CliErrors.Ok;
    }
}
