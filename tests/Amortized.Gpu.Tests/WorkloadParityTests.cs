using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Workloads;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// The workloads end to end on the GPU backend against the CPU backend: W1 and W2 training (loss and every weight
/// after 3 steps within 1e-4, the bar) and W3 sampling and density evaluation. On the emulator the
/// batches are small; on CUDA (AMORTIZED_GPU_TEST_DEVICE=cuda) the W1 check runs at the workload's batch of 512.
/// </summary>
public sealed class WorkloadParityTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;
    private const float Tolerance = 1e-4f;

    /// <summary>Also: the third step allocates no device memory (the steady state of the memory pool).</summary>
    [Fact]
    public void W1_ThreeTrainingSteps_MatchCpu() => AssertTrainingMatches(withDeepSet: false, batch: GpuTestDevice.UseCuda ? 512 : 12);

    [Fact]
    public void W2_ThreeTrainingSteps_MatchCpu() => AssertTrainingMatches(withDeepSet: true, batch: GpuTestDevice.UseCuda ? 128 : 3);

    private void AssertTrainingMatches(bool withDeepSet, int batch)
    {
        var cpu = new FlowWorkload(withDeepSet, seed: 5, batch, backend: null);
        var gpu = new FlowWorkload(withDeepSet, seed: 5, batch, _gpu);
        Assert.Same(_gpu, gpu.Store.Backend);
        long allocations = 0, bytes = 0;
        for (int step = 1; step <= 3; step++)
        {
            // From step 2 on, the arena holds every per-step tensor: the third step must not allocate device memory.
            if (step == 3) (allocations, bytes) = (_gpu.AllocationCount, _gpu.AllocatedBytes);
            float lc = cpu.Step(), lg = gpu.Step();
            Assert.True(MathF.Abs(lc - lg) <= Tolerance * Math.Max(1f, MathF.Abs(lc)), $"step {step}: loss {lg} on the GPU backend, {lc} on the CPU");
        }
        Assert.Equal(allocations, _gpu.AllocationCount);
        Assert.Equal(bytes, _gpu.AllocatedBytes);
        float[] wc = cpu.Store.ValuesTensor.ToArray(), wg = gpu.Store.ValuesTensor.ToArray();
        Assert.Equal(wc.Length, wg.Length);
        float worst = 0;
        for (int i = 0; i < wc.Length; i++) worst = MathF.Max(worst, MathF.Abs(wc[i] - wg[i]));
        Assert.True(worst <= Tolerance, $"largest weight difference after 3 steps: {worst}");
        // The weights moved: a parity check of a model that does not train would prove little.
        var initial = new FlowWorkload(withDeepSet, seed: 5, batch, backend: null).Store.ValuesTensor.ToArray();
        Assert.Contains(Enumerable.Range(0, wc.Length), i => MathF.Abs(wc[i] - initial[i]) > 1e-4f);
    }

    [Fact]
    public void W3_SamplingAndDensity_MatchCpu()
    {
        int draws = GpuTestDevice.UseCuda ? 1000 : 24;
        var cpu = new SamplingWorkload(draws, seed: 2, backend: null);
        var gpu = new SamplingWorkload(draws, seed: 2, _gpu);
        var z = Tensor.RandomNormal(new Shape(draws, FlowWorkload.ThetaDim), new Rng(9));
        float[] xc, xg, lc, lg;
        using (Tape.NoGrad())
        {
            xc = cpu.Flow.Inverse(z, cpu.Conditions).X.ToArray();
            lc = cpu.Flow.LogProb(z, cpu.Conditions).ToArray();
            using (BackendScope.Use(_gpu))
            {
                var zg = z.To(_gpu);
                var inverse = gpu.Flow.Inverse(zg, gpu.Conditions);
                Assert.False(inverse.X.IsOnHost);
                xg = inverse.X.ToArray();
                lg = gpu.Flow.LogProb(zg, gpu.Conditions).ToArray();
            }
        }
        OpParityTests.AssertClose(xc, xg, "W3 draws", rtol: 1e-5f, atol: 1e-5f);
        OpParityTests.AssertClose(lc, lg, "W3 log density", rtol: 1e-5f, atol: 1e-5f);
        // The workload's own call (host draws of z, upload, inverse, download) agrees too.
        Assert.Equal(cpu.SampleToHost(), gpu.SampleToHost(), 1e-4f);
    }
}
