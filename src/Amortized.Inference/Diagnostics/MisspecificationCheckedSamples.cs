using Amortized.Inference.Simulators;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Posterior draws together with the misspecification check made on the data they were drawn for (see
/// <see cref="Approximators.ContinuousApproximator.SampleWithCheck"/>).
/// </summary>
public sealed class MisspecificationCheckedSamples
{
    internal MisspecificationCheckedSamples(SimulationBatch draws, MmdTestResult? misspecification, double alpha)
    {
        Draws = draws;
        Misspecification = misspecification;
        Alpha = alpha;
        if (misspecification is { } test && test.PValue < alpha) Warning = WarningText(test, alpha);
    }

    /// <summary>The posterior draws, each parameter key shaped (B, numSamples, ...), as from <c>Sample</c>.</summary>
    public SimulationBatch Draws { get; }

    /// <summary>Whether a check was made: false when the model holds no misspecification reference.</summary>
    public bool MisspecificationChecked => Misspecification is not null;

    /// <summary>The MMD test of all B observed data sets together against the stored reference, or null if
    /// unchecked.</summary>
    public MmdTestResult? Misspecification { get; }

    /// <summary>The significance level the p-value was compared with.</summary>
    public double Alpha { get; }

    /// <summary>A sentence naming the MMD, the p-value and the number of observations when p &lt; alpha; otherwise
    /// null (also when nothing was checked: see <see cref="MisspecificationChecked"/>).</summary>
    public string? Warning { get; }

    private static string WarningText(MmdTestResult test, double alpha) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"Possible model misspecification: the {test.ObservedCount} observed data " +
        $"set{(test.ObservedCount == 1 ? "" : "s")} " +
        $"differ{(test.ObservedCount == 1 ? "s" : "")} from the simulations in summary space " +
        $"(squared MMD {test.Mmd:G4}, " +
        $"p = {test.PValue:G3} < alpha = {alpha:G3}, against {test.ReferenceCount} reference simulations and " +
        $"{test.NullDistribution.Length} null draws). The posterior draws may be unreliable; check the simulator and " +
        $"priors against these data.");
}
