using System.Globalization;
using Amortized.Networks.Flows;

namespace Amortized.Inference.Serialization;

internal sealed partial class SpecBounds
{
    /// <summary>Every field of <see cref="ConsistencyModelOptions"/>, as its Validate would, but naming the JSON path.
    /// </summary>
    private void Check(ConsistencyModelOptions o)
    {
        const string F = "spec.consistency_model";
        Defined(o.Activation, $"{F}.activation");
        Widths(o.Widths, $"{F}.widths");
        if (o.Widths.Count == 0) throw Invalid($"{F}.widths (its length)", "0", "at least one hidden layer");
        if (!(o.Dropout is >= 0f and < 1f))
            throw Invalid($"{F}.dropout", o.Dropout.ToString(CultureInfo.InvariantCulture), "0 to 1 (exclusive)");
        if (o.TotalSteps is long total && total < 1)
            throw Invalid($"{F}.total_steps", total.ToString(CultureInfo.InvariantCulture),
                "at least 1 (or left out for the trainer's planned steps)");
        Above(o.Eps, 0, $"{F}.eps");
        Above(o.MaxTime, o.Eps, $"{F}.max_time");
        Above(o.Sigma2, 0, $"{F}.sigma2");
        Bounded(o.S0, 1, ConsistencyModelOptions.MaxIntervals, $"{F}.s0", "ConsistencyModelOptions.MaxIntervals");
        Bounded(o.S1, o.S0, ConsistencyModelOptions.MaxIntervals, $"{F}.s1",
            "s0 to ConsistencyModelOptions.MaxIntervals");
        Bounded(o.SamplingSteps, 1, ConsistencyModelOptions.MaxSamplingSteps, $"{F}.sampling_steps",
            "ConsistencyModelOptions.MaxSamplingSteps");
    }

    /// <summary>An integer in [min, max], a bound that is a network's constant rather than a ModelFileLimits field.
    /// </summary>
    private void Bounded(int value, int min, int max, string field, string bound)
    {
        if (value < min || value > max)
            throw Invalid(field, value.ToString(CultureInfo.InvariantCulture),
                $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)} ({bound})");
    }
}
