using System.CommandLine;
using Amortized.Networks.Flows;

namespace Amortized.Cli;

/// <summary><c>fit --inference-network diffusion</c>'s own options: the noise schedule and the sampler
/// (DiffusionModelOptions.Schedule and .Sampler).</summary>
internal static partial class FitRunner
{
    /// <summary>The schedule words of <c>--diffusion-schedule</c>.</summary>
    internal static readonly Choices<NoiseScheduleKind> DiffusionSchedules =
        new(("edm", NoiseScheduleKind.Edm), ("cosine", NoiseScheduleKind.Cosine));

    /// <summary>The sampler words of <c>--diffusion-sampler</c>.</summary>
    internal static readonly Choices<DiffusionSampler> DiffusionSamplers =
        new(("ode", DiffusionSampler.Ode), ("sde", DiffusionSampler.Sde), ("heun", DiffusionSampler.Heun));

    /// <summary>The command-line options (added to <c>fit</c> by FitCommand).</summary>
    internal static (Option<NoiseScheduleKind?> Schedule, Option<DiffusionSampler?> Sampler) DiffusionCommandOptions() =>
    (
        Options.OptionalChoice("--diffusion-schedule", "Diffusion: the noise schedule (default edm: Karras et al. " +
            "2022; cosine: Nichol and Dhariwal 2021)", DiffusionSchedules),
        Options.OptionalChoice("--diffusion-sampler", "Diffusion: the sampler (default ode: the probability-flow ODE " +
            "by RK4; sde: Euler-Maruyama; heun: EDM's second-order sampler)", DiffusionSamplers)
    );

    /// <summary>
    /// The setup with the diffusion options of <paramref name="s"/> in its spec; refuses them for another inference
    /// network (they would be silently ignored).
    /// </summary>
    private static Setup WithDiffusionOptions(FitSettings s, Setup setup)
    {
        if (s.DiffusionSchedule is null && s.DiffusionSampler is null) return setup;
        if (setup.Inference != InferenceChoice.Diffusion)
            throw new UsageException($"{DiffusionOptionName(s)} is an option of the diffusion model; add " +
                $"--inference-network diffusion (got {CliChoices.InferenceNetworks.Word(setup.Inference)}).");
        var options = setup.Spec.DiffusionModel ?? new DiffusionModelOptions();
        options = options with
        {
            Schedule = s.DiffusionSchedule ?? options.Schedule,
            Sampler = s.DiffusionSampler ?? options.Sampler,
        };
        return setup with { Spec = setup.Spec with { DiffusionModel = options } };
    }

    /// <summary><paramref name="s"/>, for the point and model-comparison methods, which train no density: the
    /// diffusion options exit 2 there.</summary>
    private static FitSettings RefuseDiffusionOptions(FitSettings s)
    {
        if (s.DiffusionSchedule is not null || s.DiffusionSampler is not null)
            throw new UsageException($"{DiffusionOptionName(s)} is an option of the diffusion posterior; --method " +
                $"{CliChoices.Methods.Word(s.Method)} trains no diffusion model.");
        return s;
    }

    /// <summary>The schedule a resume must share (the sampler does not change training); none at the default.
    /// </summary>
    private static void AddDiffusionResumeSettings(FitSettings s, Dictionary<string, string> settings)
    {
        if (s.DiffusionSchedule is { } schedule and not NoiseScheduleKind.Edm)
            settings["diffusion_schedule"] = DiffusionSchedules.Word(schedule);
    }

    private static string DiffusionOptionName(FitSettings s) =>
        s.DiffusionSchedule is not null ? "--diffusion-schedule" : "--diffusion-sampler";
}
