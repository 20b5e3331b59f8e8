using Amortized.Networks.Flows;

namespace Amortized.Cli;

/// <summary>
/// <c>fit --inference-network consistency</c>: a posterior sampler without a density (ConsistencyModel), so the
/// likelihood method, which needs log q(x | theta) for its MCMC, is refused; <c>--consistency-steps N</c> sets the
/// saved model's sampling steps.
/// </summary>
internal static partial class FitRunner
{
    /// <summary>The command-line option (added to <c>fit</c> by FitCommand).</summary>
    internal static System.CommandLine.Option<int?> ConsistencyCommandOption() =>
        Options.OptionalInt("--consistency-steps", "Consistency model: denoising steps when sampling (default " +
            $"{new ConsistencyModelOptions().SamplingSteps}; 1 is a single network evaluation)", 1,
            ConsistencyModelOptions.MaxSamplingSteps);

    /// <summary>Refuses <c>--method likelihood</c> with the consistency model, before anything is trained.</summary>
    private static void CheckConsistencyUsage(FitSettings s)
    {
        if (s.Method == FitMethod.Likelihood && s.InferenceNetwork == InferenceChoice.Consistency)
            throw new UsageException("--inference-network consistency has no density: a consistency model only " +
                "samples, while --method likelihood needs log q(x | theta) for its MCMC; use --inference-network " +
                "coupling, spline, flow-matching, diffusion or free-form-flow for the likelihood, or --method " +
                "posterior for the consistency model.");
    }

    /// <summary>
    /// The setup with <c>--consistency-steps</c> in its spec; refuses it for another inference network (it would be
    /// silently ignored).
    /// </summary>
    private static Setup WithConsistencyOptions(FitSettings s, Setup setup)
    {
        if (s.ConsistencySteps is not int steps) return setup;
        if (setup.Inference != InferenceChoice.Consistency)
            throw new UsageException("--consistency-steps is an option of the consistency model; add " +
                $"--inference-network consistency (got {CliChoices.InferenceNetworks.Word(setup.Inference)}).");
        var options = (setup.Spec.ConsistencyModel ?? new ConsistencyModelOptions()) with { SamplingSteps = steps };
        return setup with { Spec = setup.Spec with { ConsistencyModel = options } };
    }

    /// <summary><paramref name="s"/>, for the point and model-comparison methods, which train no inference network.
    /// </summary>
    private static FitSettings RefuseConsistencyOptions(FitSettings s) => s.ConsistencySteps is null ? s
        : throw new UsageException("--consistency-steps is an option of the consistency-model posterior; --method " +
            $"{CliChoices.Methods.Word(s.Method)} trains no inference network.");
}
