using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// A rational-quadratic spline coupling flow on the GPU backend against the CPU backend: log-density, the inverse
/// (sampling direction) with its log-det, and the gradient of the loss with respect to every weight. This runs the
/// fused spline coupling's kernels (Tensor.SplineCoupling) inside a flow. Some inputs lie outside the spline's
/// bound, so the identity tails are exercised too.
/// </summary>
public sealed class SplineParityTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;
    private const int Dimension = 3, ConditionDim = 2, Batch = 6;

    private static (CouplingFlow Flow, ParameterStore Store) Build()
    {
        var store = new ParameterStore();
        var options = new CouplingFlowOptions
        {
            Depth = 1, SubnetWidths = [8], Dropout = 0f, Transform = CouplingTransformKind.Spline,
            Permutation = PermutationKind.Random, Spline = new SplineOptions { Bins = 4, Bound = 2.5f },
        };
        var flow = new CouplingFlow(store, "flow", Dimension, ConditionDim, options, new Rng(3));
        // Random weights everywhere (the zero-initialised output layers too), so the spline is not the identity.
        var noise = new Rng(4);
        var values = store.Values;
        for (int i = 0; i < values.Length; i++) values[i] += 0.2f * noise.Normal();
        return (flow, store);
    }

    private static (float[] LogProb, float[] Draws, float[] InverseLogDet, float[] Gradients) Run(GpuBackend? gpu)
    {
        var (flow, store) = Build();
        var rng = new Rng(5);
        var x = Tensor.RandomNormal(new Shape(Batch, Dimension), rng, std: 2f);
        var z = Tensor.RandomNormal(new Shape(Batch, Dimension), rng, std: 2f);
        var conditions = Tensor.RandomNormal(new Shape(Batch, ConditionDim), rng);
        if (gpu is null) return Evaluate(flow, store, x, z, conditions);
        store.MoveTo(gpu);
        using (BackendScope.Use(gpu))
            return Evaluate(flow, store, x.To(gpu), z.To(gpu), conditions.To(gpu));
    }

    private static (float[], float[], float[], float[]) Evaluate(CouplingFlow flow, ParameterStore store, Tensor x, Tensor z, Tensor conditions)
    {
        var tape = new Tape();
        float[] logProb;
        using (tape.Record())
        {
            var lp = flow.LogProb(x, conditions);
            tape.Backward(-lp.Mean());
            logProb = lp.ToArray();
        }
        using (Tape.NoGrad())
        {
            var (draws, logDet) = flow.Inverse(z, conditions);
            Assert.Equal(x.IsOnHost, draws.IsOnHost);
            return (logProb, draws.ToArray(), logDet.ToArray(), store.GradientsTensor.ToArray());
        }
    }

    [Fact]
    public void SplineFlow_LogProbInverseAndGradients_MatchCpu()
    {
        var cpu = Run(gpu: null);
        var gpu = Run(_gpu);
        OpParityTests.AssertClose(cpu.LogProb, gpu.LogProb, "spline flow log-prob", rtol: 1e-5f, atol: 1e-5f);
        OpParityTests.AssertClose(cpu.Draws, gpu.Draws, "spline flow inverse", rtol: 1e-5f, atol: 1e-5f);
        OpParityTests.AssertClose(cpu.InverseLogDet, gpu.InverseLogDet, "spline flow inverse log-det", rtol: 1e-5f, atol: 1e-5f);
        OpParityTests.AssertClose(cpu.Gradients, gpu.Gradients, "spline flow weight gradients", rtol: 1e-4f, atol: 1e-5f);
        // Some inputs outside the bound: the identity tails are exercised.
        Assert.Contains(Enumerable.Range(0, cpu.Draws.Length), i => MathF.Abs(cpu.Draws[i]) > 2.5f);
        Assert.Contains(cpu.Gradients, g => g != 0f);
    }
}
