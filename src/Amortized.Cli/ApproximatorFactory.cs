using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;

namespace Amortized.Cli;

/// <summary>Builds an approximator whose network sizes are read off an adapted probe batch.</summary>
internal static class ApproximatorFactory
{
    public static ContinuousApproximator Build(ApproximatorSpec spec, Adapter adapter, SimulationBatch probe)
    {
        var adapted = adapter.Forward(probe, strict: true);
        int Width(string key)
        {
            if (!adapted.Contains(key)) return 0;
            var shape = adapted.Shape(key);
            return shape.Length == 1 ? 1 : shape[^1];
        }
        int d = Width(Keys.InferenceVariables);
        if (d == 0) throw new UsageException($"the adapter produced no '{Keys.InferenceVariables}'; it produced {string.Join(", ", adapted.Keys)}.");
        return ContinuousApproximator.Build(spec with
        {
            VariableDim = d,
            ConditionDim = Width(Keys.InferenceConditions),
            SummaryInputDim = Width(Keys.SummaryVariables),
        }, adapter);
    }
}
