using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;

namespace Amortized.Cli;

/// <summary>
/// The automatic misspecification check of <c>sample</c>: observations are compared with the model's stored
/// reference simulations in summary space (MMD with a bootstrap null); p &lt; alpha gives a warning.
/// </summary>
internal static class MisspecificationWarnings
{
    public const double Alpha = 0.05;

    public static IEnumerable<string> For(RunInfo run, ContinuousApproximator approximator, SimulationBatch observations)
    {
        if (run.Method != "posterior" || approximator.MisspecificationReference is not { } reference) yield break;
        if (observations.BatchSize >= reference.Count) yield break;
        var test = approximator.TestMisspecification(observations, bootstrap: 500, seed: 0);
        if (test.PValue < Alpha)
            yield return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"possible model misspecification: the {test.ObservedCount} observed data set(s) look unlike the training simulations in summary space (squared MMD {test.Mmd:G4}, p = {test.PValue:G3} < {Alpha}); the posterior draws may be unreliable.");
    }
}
