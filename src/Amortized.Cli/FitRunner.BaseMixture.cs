using System.Globalization;
using Amortized.Networks.Flows;

namespace Amortized.Cli;

/// <summary><c>fit --base-mixture K</c>: a trainable K-component Gaussian-mixture latent distribution for the
/// coupling and spline flows (CouplingFlowOptions.BaseMixtureComponents).</summary>
internal static partial class FitRunner
{
    /// <summary>The command-line option (added to <c>fit</c> by FitCommand).</summary>
    internal static System.CommandLine.Option<int?> BaseMixtureCommandOption() =>
        Options.OptionalInt("--base-mixture", "Coupling/spline flows: a trainable Gaussian mixture of K components " +
            "as the latent distribution, for multimodal posteriors (default: the standard normal)", 1,
            CouplingFlowOptions.MaxBaseMixtureComponents);

    /// <summary>The setup with the mixture base in its spec; refused for networks without a latent mixture.</summary>
    private static Setup WithBaseMixture(FitSettings s, Setup setup)
    {
        if (s.BaseMixture is not int k) return setup;
        if (!CliChoices.IsCouplingFlow(setup.Inference))
            throw new UsageException("--base-mixture is the latent distribution of the coupling and spline flows; " +
                $"--inference-network {CliChoices.InferenceNetworks.Word(setup.Inference)} has none.");
        var options = (setup.Spec.CouplingFlow ?? new CouplingFlowOptions()) with { BaseMixtureComponents = k };
        return setup with { Spec = setup.Spec with { CouplingFlow = options } };
    }

    /// <summary><paramref name="s"/>, for the point and model-comparison methods, which train no flow.</summary>
    private static FitSettings RefuseBaseMixture(FitSettings s) => s.BaseMixture is null ? s
        : throw new UsageException("--base-mixture is an option of the coupling and spline flows; --method " +
            $"{CliChoices.Methods.Word(s.Method)} trains no flow.");

    /// <summary>The mixture size a resume must share; none without the option, so older checkpoints still resume.
    /// </summary>
    private static void AddBaseMixtureResumeSettings(FitSettings s, Dictionary<string, string> settings)
    {
        if (s.BaseMixture is int k) settings["base_mixture"] = k.ToString(CultureInfo.InvariantCulture);
    }
}
