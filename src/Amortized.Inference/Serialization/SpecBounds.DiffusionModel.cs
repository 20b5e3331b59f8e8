using System.Globalization;
using Amortized.Networks.Flows;

namespace Amortized.Inference.Serialization;

internal sealed partial class SpecBounds
{
    /// <summary>Every field of <see cref="DiffusionModelOptions"/>; then the options' own cross-field rules (a range
    /// above its lower end, no option of the other schedule), refused with the message naming the option.</summary>
    private void Check(DiffusionModelOptions o)
    {
        const string F = "spec.diffusion_model";
        Widths(o.Widths, $"{F}.widths");
        Defined(o.Activation, $"{F}.activation");
        if (!(o.Dropout is >= 0f and < 1f))
            throw Invalid($"{F}.dropout", o.Dropout.ToString(CultureInfo.InvariantCulture), "0 to 1 (exclusive)");
        Defined(o.Schedule, $"{F}.schedule");
        Defined(o.Variance, $"{F}.variance");
        Defined(o.Prediction, $"{F}.prediction");
        Defined(o.Loss, $"{F}.loss");
        Defined(o.Sampler, $"{F}.sampler");
        Defined(o.Method, $"{F}.method");
        Range(o.Steps, 1, limits.MaxOdeSteps, $"{F}.steps", nameof(limits.MaxOdeSteps));
        Above(o.RelativeTolerance, 0, $"{F}.relative_tolerance");
        Above(o.AbsoluteTolerance, 0, $"{F}.absolute_tolerance");
        if (o.SigmaData is double sigmaData) Above(sigmaData, 0, $"{F}.sigma_data");
        if (o.SigmaMin is double sigmaMin) Above(sigmaMin, 0, $"{F}.sigma_min");
        if (o.SigmaMax is double sigmaMax) Above(sigmaMax, 0, $"{F}.sigma_max");
        if (o.Rho is double rho) Above(rho, 0, $"{F}.rho");
        const double maxLogSnr = DiffusionModelOptions.MaxAbsLogSnr;
        AbsAtMost(o.MinLogSnr, maxLogSnr, $"{F}.min_log_snr", nameof(DiffusionModelOptions.MaxAbsLogSnr));
        AbsAtMost(o.MaxLogSnr, maxLogSnr, $"{F}.max_log_snr", nameof(DiffusionModelOptions.MaxAbsLogSnr));
        AbsAtMost(o.Shift, maxLogSnr / 2, $"{F}.shift", $"{nameof(DiffusionModelOptions.MaxAbsLogSnr)} / 2");
        try
        {
            o.Validate();
        }
        catch (ArgumentException e)
        {
            throw Invalid(F, "inconsistent", e.Message);
        }
    }

    /// <summary>Null, or a finite number of magnitude at most <paramref name="bound"/>.</summary>
    private void AbsAtMost(double? value, double bound, string field, string boundName)
    {
        if (value is not double v || Math.Abs(v) <= bound) return;
        string b = bound.ToString(CultureInfo.InvariantCulture);
        throw Invalid(field, v.ToString("R", CultureInfo.InvariantCulture),
            $"-{b} to {b} (DiffusionModelOptions.{boundName})");
    }
}
