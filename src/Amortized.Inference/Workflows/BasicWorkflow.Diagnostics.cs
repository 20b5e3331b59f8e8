using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

public sealed partial class BasicWorkflow
{
    /// <summary>
    /// The parameter keys of the model: every raw key the adapter concatenates into <c>inference_variables</c>, in
    /// order of first mention in the adapter (<see cref="ParameterLayout.InferenceKeys"/>).
    /// </summary>
    public IReadOnlyList<string> ParameterKeys => ParameterLayout.InferenceKeys(Adapter);

    /// <summary>
    /// Simulation-based calibration, recovery and the other posterior checks on <paramref name="numDatasets"/> fresh
    /// simulations with <paramref name="numSamples"/> draws each (<see cref="HeldOutDiagnostics.Check(Approximators.ContinuousApproximator, ISimulator, int, int, ulong, DiagnosticsOptions?, IReadOnlyList{string}?, IReadOnlyList{string}?)"/>).
    /// The parameters are all keys of <c>inference_variables</c> (<see cref="ParameterKeys"/>), named after them:
    /// <c>beta[0]</c>, <c>beta[1]</c>, <c>sigma</c>.
    /// </summary>
    /// <param name="numDatasets">N, held-out data sets (simulated from a batch index training never uses).</param>
    /// <param name="numSamples">S, posterior draws per data set.</param>
    /// <param name="seed">Seed of the simulations and the draws.</param>
    /// <param name="parameterKey">Report this one parameter key only; all of them when omitted.</param>
    /// <param name="options">Band level, thresholds and the other settings of the checks.</param>
    public DiagnosticsReport ComputeDiagnostics(int numDatasets = 300, int numSamples = 1000, ulong seed = 0,
        string? parameterKey = null, DiagnosticsOptions? options = null) =>
        HeldOutDiagnostics.CheckSimulated(Built, RequireSimulator(), numDatasets, numSamples, seed, options,
            parameterKey is null ? null : [parameterKey], null, nameof(parameterKey)).Report;

    /// <summary>
    /// The posterior checks on <paramref name="testData"/>, data sets the caller supplies with their true
    /// parameters (every parameter key, shape (N, ...), beside the observed keys), with
    /// <paramref name="numSamples"/> draws each. The prior spread comes from the simulator when it is an
    /// <see cref="IPrior"/> of a parameter key, else from the truths.
    /// </summary>
    /// <param name="testData">N &gt;= 2 data sets with their parameters.</param>
    /// <param name="numSamples">S, posterior draws per data set.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="parameterKeys">The parameter keys to report; all of them when omitted.</param>
    /// <param name="options">Band level, thresholds and the other settings of the checks.</param>
    public DiagnosticsReport ComputeDiagnostics(SimulationBatch testData, int numSamples = 1000, ulong seed = 0,
        IReadOnlyList<string>? parameterKeys = null, DiagnosticsOptions? options = null) =>
        CheckHeldOut(testData, numSamples, seed, parameterKeys, options).Report;

    /// <summary>
    /// <see cref="ComputeDiagnostics(int, int, ulong, string?, DiagnosticsOptions?)"/> keeping the draws, the data
    /// and the parameter layout, which reports and figures need.
    /// </summary>
    public HeldOutCheck CheckHeldOut(int numDatasets = 300, int numSamples = 1000, ulong seed = 0,
        IReadOnlyList<string>? parameterKeys = null, DiagnosticsOptions? options = null)
        => HeldOutDiagnostics.Check(Built, RequireSimulator(), numDatasets, numSamples, seed, options, parameterKeys);

    /// <summary>
    /// <see cref="ComputeDiagnostics(SimulationBatch, int, ulong, IReadOnlyList{string}?, DiagnosticsOptions?)"/>
    /// keeping the draws, the data and the parameter layout, which reports and figures need.
    /// </summary>
    public HeldOutCheck CheckHeldOut(SimulationBatch testData, int numSamples = 1000, ulong seed = 0,
        IReadOnlyList<string>? parameterKeys = null, DiagnosticsOptions? options = null) =>
        HeldOutDiagnostics.Check(Built, testData, numSamples, seed, options, parameterKeys, Simulator as IPrior);

    private ISimulator RequireSimulator() => Simulator ?? throw new InvalidOperationException(
        "BasicWorkflow.ComputeDiagnostics needs a simulator (pass one to the constructor) or test data " +
        "(ComputeDiagnostics(SimulationBatch testData, ...)).");
}
