using Amortized.Inference.Approximators;

namespace Amortized.Cli;

/// <summary>
/// What <c>fit --method</c> learns: the posterior (NPE), the likelihood (NLE, sampled by MCMC), point estimates
/// (posterior mean and quantiles by scoring rules) or posterior model probabilities over several tasks.
/// </summary>
internal enum FitMethod
{
    Posterior,
    Likelihood,
    Point,
    ModelComparison,
}

/// <summary>The inference networks <c>fit --inference-network</c> offers.</summary>
internal enum InferenceChoice
{
    Coupling,
    Spline,
    FlowMatching,
    FreeFormFlow,
    Consistency,
    Diffusion,
}

/// <summary>The compute devices <c>--device</c> offers.</summary>
internal enum DeviceChoice
{
    Cpu,
    Cuda,
    OpenCL,
    IlgpuCpu,
}

/// <summary>
/// The words an option (or a field of <c>run.json</c>) accepts and the enum values they stand for. Words are
/// compared once, where they enter; past that the command works with the enum, and the word comes back only for
/// messages and files.
/// </summary>
internal sealed class Choices<T> where T : struct, Enum
{
    private readonly (string Word, T Value)[] _entries;

    public Choices(params (string Word, T Value)[] entries) => _entries = entries;

    /// <summary>Every accepted word, in the order offered.</summary>
    public string[] Words => [.. _entries.Select(e => e.Word)];

    /// <summary>The word of <paramref name="value"/>.</summary>
    public string Word(T value)
    {
        foreach (var (word, v) in _entries)
            if (EqualityComparer<T>.Default.Equals(v, value)) return word;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"no word stands for {value}.");
    }

    /// <summary>The value of <paramref name="word"/> (already normalised), if it is one of the words.</summary>
    public bool TryParse(string word, out T value)
    {
        foreach (var (w, v) in _entries)
            if (w == word)
            {
                value = v;
                return true;
            }
        value = default;
        return false;
    }

    /// <summary>
    /// The value of a word read from a file; an unknown word names the file, the field and the choices.
    /// </summary>
    public T ParseField(string word, string file, string field) => TryParse(word, out var value) ? value
        : throw new InvalidDataException($"{file}: {field} is '{word}'; expected one of {string.Join(", ", Words)}.");
}

/// <summary>The choice tables of the command line.</summary>
internal static class CliChoices
{
    public static readonly Choices<FitMethod> Methods =
        new(("posterior", FitMethod.Posterior), ("likelihood", FitMethod.Likelihood), ("point", FitMethod.Point),
            ("model-comparison", FitMethod.ModelComparison));

    /// <summary>Whether <paramref name="method"/> trains a density (posterior or likelihood) rather than an estimator.
    /// </summary>
    public static bool IsDensity(FitMethod method) => method is FitMethod.Posterior or FitMethod.Likelihood;

    /// <summary>Whether the choice is a coupling flow (affine or spline), the only kind with a conditional-affine
    /// layer.</summary>
    public static bool IsCouplingFlow(InferenceChoice inference) =>
        inference is InferenceChoice.Coupling or InferenceChoice.Spline;

    /// <summary>The network kind a choice builds.</summary>
    public static InferenceNetworkKind Kind(InferenceChoice inference) => inference switch
    {
        InferenceChoice.Coupling or InferenceChoice.Spline => InferenceNetworkKind.CouplingFlow,
        InferenceChoice.FreeFormFlow => InferenceNetworkKind.FreeFormFlow,
        InferenceChoice.Consistency => InferenceNetworkKind.ConsistencyModel,
        InferenceChoice.Diffusion => InferenceNetworkKind.DiffusionModel,
        _ => InferenceNetworkKind.FlowMatching,
    };

    public static readonly Choices<InferenceChoice> InferenceNetworks = new(
        ("coupling", InferenceChoice.Coupling), ("spline", InferenceChoice.Spline),
        ("flow-matching", InferenceChoice.FlowMatching), ("free-form-flow", InferenceChoice.FreeFormFlow),
        ("consistency", InferenceChoice.Consistency), ("diffusion", InferenceChoice.Diffusion));

    public static readonly Choices<SummaryNetworkKind> SummaryNetworks = new(
        ("none", SummaryNetworkKind.None), ("deepset", SummaryNetworkKind.DeepSet),
        ("set-transformer", SummaryNetworkKind.SetTransformer), ("time-series", SummaryNetworkKind.TimeSeries),
        ("time-series-transformer", SummaryNetworkKind.TimeSeriesTransformer));

    public static readonly Choices<DeviceChoice> Devices = new(
        ("cpu", DeviceChoice.Cpu), ("cuda", DeviceChoice.Cuda), ("opencl", DeviceChoice.OpenCL),
        ("ilgpu-cpu", DeviceChoice.IlgpuCpu));
}
