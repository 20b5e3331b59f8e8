using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Summaries;
using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>What building any approximator from a spec shares: the summary network and widths read off a probe.</summary>
internal static class SpecBuilding
{
    /// <summary>
    /// The summary network of <paramref name="kind"/> over F = <paramref name="inputDim"/> features, named "summary"
    /// in <paramref name="store"/>, or null for <see cref="SummaryNetworkKind.None"/>.
    /// </summary>
    public static SummaryNetwork? Summary(SummaryNetworkKind kind, int inputDim, DeepSetOptions? deepSet,
        SetTransformerOptions? setTransformer, TimeSeriesNetworkOptions? timeSeries,
        TimeSeriesTransformerOptions? timeSeriesTransformer, ParameterStore store, Rng rng) =>
        kind == SummaryNetworkKind.None ? null
            : ConditionEncoder.BuildBackbone(kind, "summary", inputDim, deepSet, setTransformer, timeSeries,
                timeSeriesTransformer, store, rng, "the spec's Summary", "DeepSet, SetTransformer, TimeSeries, " +
                "TimeSeriesTransformer or None (Fusion is for the continuous approximator)");

    /// <summary>
    /// The probe after the adapter (strict), with a function giving a key's last-axis width (1 for a (B) key, 0 when
    /// absent). Throws when the adapter produces summary variables but <paramref name="summary"/> is None.
    /// </summary>
    public static (SimulationBatch Adapted, Func<string, int> Width) Probe(string owner, Adapter adapter,
        SimulationBatch probe, SummaryNetworkKind summary)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(probe);
        var adapted = adapter.Forward(probe, strict: true);
        int Width(string key)
        {
            if (!adapted.Contains(key)) return 0;
            var shape = adapted.Shape(key);
            return shape.Length == 1 ? 1 : shape[^1];
        }
        if (summary == SummaryNetworkKind.None && adapted.Contains(Keys.SummaryVariables))
            throw new ArgumentException($"{owner}: the adapter produces '{Keys.SummaryVariables}' but the spec has no " +
                "summary network.", "spec");
        return (adapted, Width);
    }
}
