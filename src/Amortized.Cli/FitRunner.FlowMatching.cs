using System.CommandLine;
using System.Globalization;
using Amortized.Networks.Flows;

namespace Amortized.Cli;

/// <summary><c>fit --inference-network flow-matching</c>'s own options: minibatch optimal transport and the Fourier
/// time embedding (FlowMatchingOptions).</summary>
internal static partial class FitRunner
{
    /// <summary>The command-line options (added to <c>fit</c> by FitCommand).</summary>
    internal static (Option<bool> OptimalTransport, Option<int?> TimeEmbedding) FlowMatchingCommandOptions() =>
    (
        new Option<bool>("--flow-matching-ot")
        {
            Description = "Flow matching: pair noise with parameters in each batch by exact optimal transport " +
                "(with a condition term so the posterior keeps its conditions); straighter paths, slower steps",
        },
        Options.OptionalInt("--time-embedding", "Flow matching: Fourier frequencies of the time embedding (sin and " +
            "cos of pi 2^k t, k < N; default 0: t alone)", 0, FlowMatchingOptions.MaxTimeEmbeddingFrequencies)
    );

    /// <summary>
    /// The setup with the flow-matching options of <paramref name="s"/> in its spec; refuses them for another
    /// inference network (they would be silently ignored).
    /// </summary>
    private static Setup WithFlowMatchingOptions(FitSettings s, Setup setup)
    {
        if (!s.FlowMatchingOt && s.TimeEmbedding is null) return setup;
        if (setup.Inference != InferenceChoice.FlowMatching)
            throw new UsageException($"{(s.FlowMatchingOt ? "--flow-matching-ot" : "--time-embedding")} is an " +
                "option of flow matching; add --inference-network flow-matching (got " +
                $"{CliChoices.InferenceNetworks.Word(setup.Inference)}).");
        var options = (setup.Spec.FlowMatching ?? new FlowMatchingOptions()) with
        {
            OptimalTransport = s.FlowMatchingOt,
            TimeEmbeddingFrequencies = s.TimeEmbedding ?? 0,
        };
        return setup with { Spec = setup.Spec with { FlowMatching = options } };
    }

    /// <summary><paramref name="s"/>, for the point and model-comparison methods, which train no flow: the
    /// flow-matching options exit 2 there, as the other posterior-flow options do.</summary>
    private static FitSettings RefuseFlowMatchingOptions(FitSettings s)
    {
        if (s.FlowMatchingOt || s.TimeEmbedding is not null)
            throw new UsageException($"{(s.FlowMatchingOt ? "--flow-matching-ot" : "--time-embedding")} is an " +
                $"option of the flow-matching posterior; --method {CliChoices.Methods.Word(s.Method)} trains no flow.");
        return s;
    }

    /// <summary>The flow-matching settings a resume must share; none when left at their defaults, so checkpoints
    /// written before these options existed still resume.</summary>
    private static void AddFlowMatchingResumeSettings(FitSettings s, Dictionary<string, string> settings)
    {
        if (s.FlowMatchingOt) settings["flow_matching_ot"] = "on";
        if (s.TimeEmbedding is int k and > 0)
            settings["time_embedding"] = k.ToString(CultureInfo.InvariantCulture);
    }
}
