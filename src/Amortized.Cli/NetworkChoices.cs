using Amortized.Inference.Approximators;
using Amortized.Networks.Flows;
using Amortized.Inference.Workflows;
using Amortized.Networks.Summaries;

namespace Amortized.Cli;

/// <summary>The specs the command's network choices stand for.</summary>
internal static class NetworkChoices
{
    /// <summary>The spec (kinds and options; sizes are read off the data when the approximator is built).</summary>
    public static ApproximatorSpec Spec(InferenceChoice inference, SummaryNetworkKind summary, ulong seed,
        bool conditionalAffine = false)
    {
        var spec = new ApproximatorSpec { Summary = summary, Seed = seed };
        spec = inference switch
        {
            InferenceChoice.Coupling => spec with { Inference = InferenceNetworkKind.CouplingFlow,
                CouplingFlow = new CouplingFlowOptions { ConditionalAffine = conditionalAffine } },
            InferenceChoice.Spline => spec with { Inference = InferenceNetworkKind.CouplingFlow,
                CouplingFlow = new CouplingFlowOptions
                    { Transform = CouplingTransformKind.Spline, ConditionalAffine = conditionalAffine } },
            InferenceChoice.FreeFormFlow => spec with { Inference = InferenceNetworkKind.FreeFormFlow,
                FreeFormFlow = new FreeFormFlowOptions() },
            // TotalSteps left out: the trainer plans the curriculum over the fit's epochs x batches.
            InferenceChoice.Consistency => spec with { Inference = InferenceNetworkKind.ConsistencyModel,
                ConsistencyModel = new ConsistencyModelOptions() },
            InferenceChoice.Diffusion => spec with { Inference = InferenceNetworkKind.DiffusionModel,
                DiffusionModel = new DiffusionModelOptions() },
            _ => spec with { Inference = InferenceNetworkKind.FlowMatching, FlowMatching = new FlowMatchingOptions() },
        };
        // The summary options are written into the model file, so a later change of the defaults cannot change what a
        // saved model rebuilds.
        return TrainingDefaults.WithSummaryOptions(spec);
    }
}
