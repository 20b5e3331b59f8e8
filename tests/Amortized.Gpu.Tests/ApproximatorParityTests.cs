using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// The inference layer on the GPU backend through the same public API as on the CPU: move the parameters with
/// <c>Store.MoveTo</c>, then train with <see cref="Trainer"/> and sample. Both runs start from the same seed and must
/// agree (weights within 1e-4 after training; draws within 1e-3 after the adapter's inverse).
/// </summary>
/// <remarks>
/// ActNorm is off here: its data-dependent initialisation makes the first batch's output exactly zero-mean, so the
/// first gradient of its bias is a cancelling sum of rounding errors, which Adam then normalises to a step of about
/// the learning rate in an arbitrary direction, on either backend. (Seen: 1.2e-4 apart after 3 steps while every
/// other weight agreed to 2e-7.) Its ops are covered by <see cref="OpParityTests"/>.
/// </remarks>
public sealed class ApproximatorParityTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;

    [Fact]
    public void DirectConditions_WithDropout_TrainAndSampleMatchCpu()
    {
        static ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 11,
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8, 8], Dropout = 0.05f, UseActNorm = false },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new TwoMoons();
        AssertTrainingAndSamplingMatch(Fresh, task.Sample(30, seed: 1), task.Sample(2, seed: 9), task.Sample(64, seed: 21), "theta");
    }

    /// <summary>
    /// The ODE families on the device: training noise, times and OT pairing are drawn on the host from the seeded
    /// stream and uploaded, the integrator's state stays on the device for the fixed-step methods, and the divergence
    /// comes from device reverse passes; 3 training steps (24 rows, batch 8) must leave the same weights.
    /// </summary>
    [Theory]
    [InlineData("plain")]
    [InlineData("ot-fourier")]
    [InlineData("dormand-prince")]
    public void FlowMatching_TrainSampleAndDensityMatchCpu(string variant)
    {
        var options = new FlowMatchingOptions { Widths = [16, 16], Dropout = 0.05f, Steps = 8 };
        options = variant switch
        {
            "ot-fourier" => options with { OptimalTransport = true, TimeEmbeddingFrequencies = 2 },
            "dormand-prince" => options with { Method = OdeMethod.DormandPrince, RelativeTolerance = 1e-3, AbsoluteTolerance = 1e-4 },
            _ => options,
        };
        ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 11,
            Inference = InferenceNetworkKind.FlowMatching,
            FlowMatching = options,
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new TwoMoons();
        AssertTrainingAndSamplingMatch(Fresh, task.Sample(30, seed: 1), task.Sample(2, seed: 9), task.Sample(64, seed: 21), "theta");
    }

    /// <summary>The diffusion model on the device, with each sampler: noise levels are host columns uploaded per
    /// step, the ODE's divergence comes from device reverse passes, the SDE's noise from the seeded host stream.</summary>
    [Theory]
    [InlineData(DiffusionSampler.Ode)]
    [InlineData(DiffusionSampler.Sde)]
    [InlineData(DiffusionSampler.Heun)]
    public void DiffusionModel_TrainSampleAndDensityMatchCpu(DiffusionSampler sampler)
    {
        ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 13,
            Inference = InferenceNetworkKind.DiffusionModel,
            DiffusionModel = new DiffusionModelOptions { Widths = [16, 16], Sampler = sampler, Steps = 8 },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new TwoMoons();
        AssertTrainingAndSamplingMatch(Fresh, task.Sample(30, seed: 1), task.Sample(2, seed: 9), task.Sample(64, seed: 21), "theta");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreeFormFlowAndMixtureBase_TrainAndSampleMatchCpu(bool freeForm)
    {
        // The free-form flow's loss (probes, central-difference JVP, decoder VJP on its own tape) and its host-LU
        // density; a coupling flow's trainable mixture base (log-sum-exp density, host sampling from device weights).
        ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 12,
            Inference = freeForm ? InferenceNetworkKind.FreeFormFlow : InferenceNetworkKind.CouplingFlow,
            FreeFormFlow = new FreeFormFlowOptions { Widths = [8, 8] },
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8, 8], UseActNorm = false, BaseMixtureComponents = 3 },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new TwoMoons();
        AssertTrainingAndSamplingMatch(Fresh, task.Sample(30, seed: 1), task.Sample(2, seed: 9), task.Sample(64, seed: 21), "theta");
    }

    [Fact]
    public void DeepSetSummary_TrainAndSampleMatchCpu()
    {
        var task = new GaussianMeanSets();
        var probe = task.Sample(4, seed: 2);
        ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            Seed = 4,
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions { SummaryDim = 4, Depth = 1, EquivariantWidths = [8, 8], InvariantInnerWidths = [8], InvariantOuterWidths = [8], InvariantLastWidths = [8] },
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8, 8], Dropout = 0f, UseActNorm = false },
        }, task.DefaultAdapter(summary: SummaryNetworkKind.DeepSet), probe);
        AssertTrainingAndSamplingMatch(Fresh, task.Sample(24, seed: 1), task.Sample(2, seed: 9), task.Sample(64, seed: 21), task.ParameterKey);
    }

    [Fact]
    public void ConditionalAffine_LeastSquaresInitialisationMatchesCpu()
    {
        // The data-dependent initialisation reads standardised rows back from the device and writes the fitted map
        // into device parameters; both sides must end with the same weights, statistics and densities.
        static ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 10,
            ConditionDim = 10,
            Seed = 6,
            CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8, 8], ConditionalAffine = true },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new GaussianLinear();
        var batches = Enumerable.Range(0, 4).Select(i => Fresh().Adapter.Forward(task.Sample(100, seed: (ulong)i + 1), strict: true)).ToList();
        var cpu = Fresh();
        cpu.InitializeFromData(batches);
        var gpu = Fresh();
        gpu.Store.MoveTo(_gpu);
        gpu.InitializeFromData(batches);
        var kernelName = "inference.conditional_affine.map.kernel";
        Assert.Contains(cpu.Store.Find(kernelName)!.ToArray(), v => v != 0f);
        foreach (var p in cpu.Store.Parameters)
            OpParityTests.AssertClose(p.ToArray(), gpu.Store.Find(p.Name!)!.ToArray(), p.Name!, rtol: 1e-5f, atol: 1e-5f);
        Assert.Equal(cpu.VariableStandardizer!.Count, gpu.VariableStandardizer!.Count);
        var observed = task.Sample(3, seed: 40);
        OpParityTests.AssertClose(cpu.LogProb(observed), gpu.LogProb(observed), "log q", rtol: 1e-4f, atol: 1e-4f);
    }

    [Fact]
    public void PointApproximator_LinearBaselineInitialisationAndEstimatesMatchCpu()
    {
        static PointApproximator Fresh() => new(
            new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions), 10, 10,
            [new MedianScore(), new QuantileScore([0.1f, 0.9f])], null, new Amortized.Networks.ParameterStore(), new Amortized.Tensors.Rng(3),
            new PointApproximatorOptions { Subnet = new Amortized.Networks.MlpOptions { Widths = [16] }, LinearBaseline = true });
        var task = new GaussianLinear();
        var cpu = Fresh();
        var batches = Enumerable.Range(0, 3).Select(i => cpu.Adapter.Forward(task.Sample(100, seed: (ulong)i + 1), strict: true)).ToList();
        cpu.InitializeFromData(batches);
        var gpu = Fresh();
        gpu.Adapter.Forward(task.Sample(2, seed: 1), strict: true);
        gpu.Store.MoveTo(_gpu);
        gpu.InitializeFromData(batches);
        Assert.False(gpu.HasDataInitialization);
        foreach (var p in cpu.Store.Parameters)
            OpParityTests.AssertClose(p.ToArray(), gpu.Store.Find(p.Name!)!.ToArray(), p.Name!, rtol: 1e-5f, atol: 1e-5f);
        var observed = task.Sample(4, seed: 50);
        var (e0, e1) = (cpu.Estimate(observed), gpu.Estimate(observed));
        foreach (string rule in new[] { "median", "quantiles" })
            OpParityTests.AssertClose(e0[rule].Values.Get("theta"), e1[rule].Values.Get("theta"), rule, rtol: 1e-4f, atol: 1e-4f);
    }

    /// <summary>
    /// Feeds the running standardisation a separate sample first. Otherwise the first training batch is standardised
    /// by its own mean, the zero-initialised output layers make every coupling the identity, and the first gradient
    /// of their biases is mean(z) over that batch: exactly 0 up to rounding, which Adam normalises into a step of
    /// about the learning rate in an arbitrary direction (seen on CUDA: 3.8e-4 apart while every other weight agreed
    /// to 2e-6).
    /// </summary>
    private static void WarmStatistics(ContinuousApproximator approximator, Amortized.Inference.Simulators.SimulationBatch warmup)
    {
        using (Amortized.Tensors.Autodiff.Tape.NoGrad())
            approximator.Loss(approximator.Adapter.Forward(warmup, strict: true), updateStatistics: true);
    }

    /// <summary>Every parameter of <paramref name="gpu"/> within 1e-4 of the same one of <paramref name="cpu"/>.
    /// </summary>
    internal static void AssertWeightsClose(ContinuousApproximator cpu, ContinuousApproximator gpu)
    {
        var report = new List<string>();
        float worst = 0;
        foreach (var p in cpu.Store.Parameters)
        {
            var (c, g) = (cpu.Store.Find(p.Name!)!.ToArray(), gpu.Store.Find(p.Name!)!.ToArray());
            float diff = c.Zip(g, (x, y) => MathF.Abs(x - y)).Max();
            worst = MathF.Max(worst, diff);
            report.Add($"{p.Name} {diff:G3}");
        }
        Assert.True(worst <= 1e-4f, "largest weight difference per parameter: " + string.Join(", ", report));
    }

    private void AssertTrainingAndSamplingMatch(Func<ContinuousApproximator> fresh, Amortized.Inference.Simulators.SimulationBatch data,
        Amortized.Inference.Simulators.SimulationBatch observed, Amortized.Inference.Simulators.SimulationBatch warmup, string parameterKey)
    {
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, Seed = 5, ValidationFraction = 0.2 };
        var cpu = fresh();
        WarmStatistics(cpu, warmup);
        new Trainer(cpu, options).FitOffline(data);
        var gpu = fresh();
        gpu.Store.MoveTo(_gpu);
        WarmStatistics(gpu, warmup);
        var history = new Trainer(gpu, options).FitOffline(data);
        Assert.True(history.Steps > 0);
        Assert.Same(_gpu, gpu.Store.Backend);
        AssertWeightsClose(cpu, gpu);
        var drawsCpu = cpu.Sample(observed, 16, seed: 3).Get(parameterKey);
        var drawsGpu = gpu.Sample(observed, 16, seed: 3).Get(parameterKey);
        OpParityTests.AssertClose(drawsCpu, drawsGpu, "posterior draws", rtol: 1e-3f, atol: 1e-3f);
        OpParityTests.AssertClose(cpu.LogProb(observed), gpu.LogProb(observed), "log q", rtol: 1e-3f, atol: 1e-3f);
    }
}
