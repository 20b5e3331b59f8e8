using System.Globalization;
using Amortized.Networks.Flows;

namespace Amortized.Inference.Serialization;

// The free-form flow's options and the coupling flow's mixture base: every field bounded before a network is built.
internal sealed partial class SpecBounds
{
    private void Check(FreeFormFlowOptions o)
    {
        const string F = "spec.free_form_flow";
        Defined(o.Activation, $"{F}.activation");
        Defined(o.HutchinsonSampling, $"{F}.hutchinson_sampling");
        Widths(o.Widths, $"{F}.widths");
        // The constructor refuses an empty list; refuse it here first, naming the field.
        if (o.Widths.Count == 0) throw Invalid($"{F}.widths (its length)", "0", "at least one hidden width");
        Above(o.Beta, 0, $"{F}.beta", orEqual: true);
        if (o.FiniteDifferenceStep is double h && !(h > 0 && h <= 1))
            throw Invalid($"{F}.finite_difference_step", h.ToString("R", CultureInfo.InvariantCulture),
                "a number in (0, 1]");
    }

    /// <summary>The coupling flow's latent distribution: a mixture's size, and at most one of mixture and Student-t.
    /// </summary>
    private void BaseMixture(CouplingFlowOptions o, string F)
    {
        // Files written before the option existed leave it out: null, the standard normal.
        if (o.BaseMixtureComponents is not int k) return;
        const int max = CouplingFlowOptions.MaxBaseMixtureComponents;
        if (k is < 1 or > max)
            throw Invalid($"{F}.base_mixture_components", k.ToString(CultureInfo.InvariantCulture),
                $"1 to {max} (CouplingFlowOptions.MaxBaseMixtureComponents)");
        if (k > 1 && o.StudentTDegreesOfFreedom is float nu)
            throw Invalid($"{F}.student_t_degrees_of_freedom", nu.ToString("R", CultureInfo.InvariantCulture),
                $"null while {F}.base_mixture_components is {k} (one latent distribution)");
    }
}
