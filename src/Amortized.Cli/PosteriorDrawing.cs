using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;

namespace Amortized.Cli;

/// <summary>
/// Posterior draws for observed data sets from a run's model, flattened to (B, S, D) in the order of the run's
/// parameter names: directly from the flow for a posterior model, by MCMC on the learned likelihood times the
/// task's prior for a likelihood model.
/// </summary>
internal static class PosteriorDrawing
{
    public static float[] Draw(RunInfo run, ContinuousApproximator approximator,
        SimulationBatch observations, int numSamples, ulong seed)
    {
        int b = observations.BatchSize, d = run.ParameterNames.Length;
        if ((long)b * numSamples * d > Array.MaxLength)
            throw new UsageException(
                $"{b} data sets x {numSamples} draws x {d} parameters is too many values for one call.");
        if (run.MethodKind == FitMethod.Likelihood)
        {
            var result = new float[b * numSamples * d];
            var task = TaskNames.Create(run.Task ?? throw new InvalidDataException(
                "run.json: a likelihood model must name its task (the prior comes from it)."));
            var posterior = new LikelihoodPosterior(approximator, task, task.DataKey);
            for (int i = 0; i < b; i++)
            {
                var samples = posterior.Sample(observations.Slice(i, 1),
                    new LikelihoodPosteriorOptions { NumSamples = numSamples, Seed = seed + (ulong)i });
                // Chains keep ceil(S / C) draws each; the first S of the chain-major draws are returned.
                samples.Draws.AsSpan(0, numSamples * d).CopyTo(result.AsSpan(i * numSamples * d));
            }
            return result;
        }
        // Draws come back per key as (B, S, ...): B * S rows to lay side by side.
        return run.FlattenParameters(approximator.Sample(observations, numSamples, seed).Get, b * numSamples);
    }
}
