using System.Globalization;
using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Cli;

/// <summary>
/// The automatic misspecification check of <c>sample</c>: observations are compared with the model's stored
/// reference simulations in summary space (MMD with a bootstrap null); p &lt; alpha gives a warning.
/// </summary>
internal static class MisspecificationWarnings
{
    public const double Alpha = 0.05;

    /// <summary>The test of all observed data sets together, or null when the model holds no reference.</summary>
    public static MmdTestResult? Test(RunInfo run, ContinuousApproximator approximator, SimulationBatch observations)
    {
        if (run.MethodKind != FitMethod.Posterior
            || approximator.MisspecificationReference is not { } reference) return null;
        if (observations.BatchSize >= reference.Count) return null;
        return approximator.TestMisspecification(observations, bootstrap: 500, seed: 0);
    }

    /// <summary>One line for the log, and a warning when p &lt; alpha.</summary>
    public static (string Line, string? Warning) Describe(MmdTestResult test)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"misspecification check: squared MMD {test.Mmd:G4} against {
                test.ReferenceCount} reference simulations, p = {test.PValue:G3}");
        string? warning = test.PValue < Alpha
            ? string.Create(CultureInfo.InvariantCulture,
                $"possible model misspecification: the {test.ObservedCount} observed data set(s) look unlike the training simulations in summary space (squared MMD {test.Mmd:G4}, p = {test.PValue:G3} < {Alpha}); the posterior draws may be unreliable.")
            : null;
        return (line, warning);
    }
}
